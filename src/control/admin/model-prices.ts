import { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../http/app-env.ts";
import { GatewayError } from "../../http/errors.ts";
import { readJsonBody } from "../../http/validation.ts";
import type { Invalidate } from "../../store/cache/invalidation.ts";
import type { Db } from "../../store/db.ts";
import { createModelPrices } from "../../store/repos/model-prices.ts";
import { exactObject, invalidField } from "./common-schemas.ts";

const usdPerMillion = v.pipe(
  v.number(),
  v.finite("must be a finite number"),
  v.minValue(0, "must be at least 0"),
  v.maxValue(1_000_000, "must be at most 1000000"),
);
const priceBody = exactObject({ input_usd_per_million: usdPerMillion, output_usd_per_million: usdPerMillion });

/**
 * `/admin/model-prices`: USD per million input / output tokens per model, used for budget and
 * TPM estimates before a call and for the cost of a call whose upstream reports none. Model
 * names may contain slashes (`openai/gpt-4o`): the rest of the path is the name.
 */
export function createModelPriceRoutes({ db, invalidate }: { db: Db; invalidate: Invalidate }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const prices = createModelPrices(db);
  const modelOf = (raw: string | undefined) => {
    const model = raw ?? "";
    if (model.length < 1 || model.length > 200) throw invalidField("invalid_admin_payload", "model", "must be 1-200 characters");
    return model;
  };

  // A handful of rows: one page, in the list shape every admin list shares.
  app.get("/", async (c) => c.json({ data: await prices.list(), next_cursor: null }));

  app.put("/:model{.+}", async (c) => {
    const model = modelOf(c.req.param("model"));
    const body = await readJsonBody(c, priceBody);
    const { price, created } = await prices.upsert(model, body.input_usd_per_million, body.output_usd_per_million);
    invalidate({ kind: "prices" });
    return c.json(price, created ? 201 : 200);
  });

  app.delete("/:model{.+}", async (c) => {
    if (!(await prices.remove(modelOf(c.req.param("model"))))) throw new GatewayError("not_found");
    invalidate({ kind: "prices" });
    return c.body(null, 204);
  });

  return app;
}
