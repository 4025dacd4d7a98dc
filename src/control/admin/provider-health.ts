import { Hono } from "hono";
import { healthWindow } from "../../core/usage-window.ts";
import type { AppEnv } from "../../http/app-env.ts";
import { readQuery } from "../../http/validation.ts";
import type { Db } from "../../store/db.ts";
import { summarizeProviderHealth } from "../../store/repos/usage-health.ts";
import { exactObject } from "./common-schemas.ts";
import { usageFilterEntries, usageFilterOf } from "./usage-schemas.ts";

export interface ProviderHealthDeps {
  db: Db;
  now?: () => Date;
}

const healthQuery = exactObject(usageFilterEntries);

/** `/admin/provider-health` (contract 6): requests, errors, timeouts, fallbacks and latency per provider. */
export function createProviderHealthRoutes({ db, now = () => new Date() }: ProviderHealthDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/", async (c) => {
    const filter = usageFilterOf(readQuery(c, healthQuery));
    const rows = await summarizeProviderHealth(db, { ...filter, ...healthWindow(filter, now()) });
    return c.json({ data: rows, next_cursor: null });
  });

  return app;
}
