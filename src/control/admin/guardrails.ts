import { Hono, type Context } from "hono";
import { GUARDRAIL_NAME_PATTERN } from "../../core/guardrail-policy.ts";
import type { AppEnv } from "../../http/app-env.ts";
import { GatewayError } from "../../http/errors.ts";
import { readJsonBody, readQuery } from "../../http/validation.ts";
import type { Invalidate, InvalidationEvent } from "../../store/cache/invalidation.ts";
import type { Db } from "../../store/db.ts";
import { createGuardrails, type GuardrailWriteOutcome } from "../../store/repos/guardrails.ts";
import { invalidField } from "./common-schemas.ts";
import { guardrailChangesFrom, newGuardrailFrom } from "./guardrails-rules.ts";
import {
  createGuardrailBody,
  encodeNameCursor,
  listGuardrailsQuery,
  updateGuardrailBody,
} from "./guardrails-schemas.ts";
import { DEFAULT_PAGE_LIMIT } from "./pagination.ts";

export interface GuardrailRouteDeps {
  db: Db;
  invalidate: Invalidate;
}

// Keys embed their guardrail policies (a delete rewrites them) and the data plane snapshots
// the catalog, so every catalog write drops everything cached.
const CATALOG_CHANGED: InvalidationEvent = { kind: "all" };

function guardrailOf(outcome: GuardrailWriteOutcome) {
  if (outcome.ok) return outcome.guardrail;
  switch (outcome.reason) {
    case "not_found":
      throw new GatewayError("not_found");
    // No duplicate_* code in the contract names guardrails: an invalid admin payload naming the field.
    case "duplicate_name":
      throw invalidField("invalid_admin_payload", "name", "a guardrail with this name already exists");
  }
}

/** Names that are not guardrail names name nothing: a 404, like an unknown one. */
function pathName(c: Context): string {
  const name = c.req.param("name") ?? "";
  if (!GUARDRAIL_NAME_PATTERN.test(name)) throw new GatewayError("not_found");
  return name;
}

/** `/admin/guardrails` catalog (contract 8). Bearer tokens are write-only: `token_configured` tells. */
export function createGuardrailRoutes({ db, invalidate }: GuardrailRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const guardrails = createGuardrails(db);

  app.get("/", async (c) => {
    const query = readQuery(c, listGuardrailsQuery);
    const page = await guardrails.list({ limit: query.limit ?? DEFAULT_PAGE_LIMIT, after: query.cursor ?? null });
    return c.json({ data: page.rows, next_cursor: page.next === null ? null : encodeNameCursor(page.next) });
  });

  app.post("/", async (c) => {
    const body = await readJsonBody(c, createGuardrailBody);
    const guardrail = guardrailOf(await guardrails.create(newGuardrailFrom(body)));
    invalidate(CATALOG_CHANGED);
    return c.json(guardrail, 201);
  });

  app.patch("/:name", async (c) => {
    const name = pathName(c);
    const body = await readJsonBody(c, updateGuardrailBody);
    // The kind never changes, so checking it before the write cannot race.
    const current = await guardrails.get(name);
    if (!current) throw new GatewayError("not_found");
    const guardrail = guardrailOf(await guardrails.update(name, guardrailChangesFrom(current.provider_kind, body)));
    invalidate(CATALOG_CHANGED);
    return c.json(guardrail);
  });

  app.delete("/:name", async (c) => {
    const outcome = await guardrails.remove(pathName(c));
    if (!outcome.ok && outcome.reason === "not_found") throw new GatewayError("not_found");
    if (!outcome.ok) {
      throw new GatewayError("invalid_admin_payload", {
        message: "A built-in guardrail cannot be deleted; disable it instead (`enabled: false`).",
      });
    }
    invalidate(CATALOG_CHANGED);
    return c.body(null, 204);
  });

  return app;
}
