import { Hono } from "hono";
import type { AppEnv } from "../../http/app-env.ts";
import { GatewayError } from "../../http/errors.ts";
import type { Invalidate } from "../../store/cache/invalidation.ts";
import type { Db } from "../../store/db.ts";
import { createOpenaiRoutes } from "../../store/repos/openai-routes.ts";

export interface OpenaiRouteDeps {
  db: Db;
  invalidate: Invalidate;
}

/** `/admin/openai-routes`: global on/off switches of the three AI routes (seeded by migration). */
export function createOpenaiRouteRoutes({ db, invalidate }: OpenaiRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const routes = createOpenaiRoutes(db);

  // Three rows: always one page, in the list shape every admin list shares.
  app.get("/", async (c) => c.json({ data: await routes.list(), next_cursor: null }));

  for (const [action, enabled] of [["enable", true], ["disable", false]] as const) {
    app.post(`/:route_id/${action}`, async (c) => {
      const route = await routes.setEnabled(c.req.param("route_id"), enabled);
      if (!route) throw new GatewayError("not_found");
      invalidate({ kind: "routes" });
      return c.json(route);
    });
  }

  return app;
}
