import { Hono } from "hono";
import type { AppEnv } from "../../http/app-env.ts";
import { GatewayError } from "../../http/errors.ts";
import { readJsonBody, readQuery } from "../../http/validation.ts";
import type { Invalidate } from "../../store/cache/invalidation.ts";
import type { Db } from "../../store/db.ts";
import { createGuardrails } from "../../store/repos/guardrails.ts";
import { createKeys, type KeyCreateOutcome, type KeyUpdateOutcome } from "../../store/repos/keys.ts";
import { summarizeUsage } from "../../store/repos/usage-summary.ts";
import { invalidField, pathId, readUsageRange } from "./common-schemas.ts";
import { checkKeyPatch, newKeyFrom, planKeyPatch } from "./key-rules.ts";
import { createKeyBody, listKeysQuery, updateKeyBody } from "./key-schemas.ts";
import { pageRequest, renderPage } from "./pagination.ts";

export interface KeyRouteDeps {
  db: Db;
  invalidate: Invalidate;
}

// Revocation is permanent. No 409 code in the contract fits, so changing a revoked key is an
// invalid admin request (400) whose message says why.
const REVOKED = "The key is revoked; revocation is permanent and a revoked key cannot be changed.";

function keyOf<T extends KeyCreateOutcome | KeyUpdateOutcome>(outcome: T): Extract<T, { ok: true }> {
  if (outcome.ok) return outcome as Extract<T, { ok: true }>;
  switch (outcome.reason) {
    case "missing_project":
      throw new GatewayError("missing_project");
    case "not_found":
      throw new GatewayError("not_found");
    case "revoked":
      throw new GatewayError("invalid_admin_payload", { message: REVOKED });
    case "unknown_service":
      throw invalidField(
        "invalid_admin_payload",
        "service_names",
        outcome.service ? `service "${outcome.service}" is not registered` : "a listed service is not registered",
      );
  }
}

/** `/admin/keys` (contract 5, 6). Responses never carry the digest; the raw key only on create. */
export function createKeyRoutes({ db, invalidate }: KeyRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const keys = createKeys(db);
  const guardrails = createGuardrails(db);
  // The names a guardrail policy may use, read only when one is sent. A guardrail deleted
  // between this read and the key write leaves a dangling name: the data plane must treat a
  // name the catalog lacks as absent.
  const catalog = () => guardrails.names();

  app.post("/", async (c) => {
    const body = await readJsonBody(c, createKeyBody);
    const input = newKeyFrom(body, new Date(), body.guardrail_policy ? await catalog() : new Set());
    const { key, rawKey } = keyOf(await keys.create(input));
    invalidate({ kind: "key", keyId: key.id });
    c.header("cache-control", "no-store");
    return c.json({ key, raw_key: rawKey }, 201);
  });

  app.get("/", async (c) => {
    const query = readQuery(c, listKeysQuery);
    const filter = { projectId: query.project_id, ownerType: query.owner_type, status: query.status };
    return renderPage(c, await keys.list(filter, pageRequest(query)));
  });

  app.get("/:id", async (c) => {
    const key = await keys.get(pathId(c, "not_found"));
    if (!key) throw new GatewayError("not_found");
    return c.json(key);
  });

  app.patch("/:id", async (c) => {
    const id = pathId(c, "not_found");
    const body = await readJsonBody(c, updateKeyBody);
    checkKeyPatch(body, new Date());
    const names = body.guardrail_policy ? await catalog() : new Set<string>();
    const { key } = keyOf(await keys.update(id, (current) => planKeyPatch(current, body, names)));
    invalidate({ kind: "key", keyId: id });
    return c.json(key);
  });

  for (const [action, disabled] of [["disable", true], ["enable", false]] as const) {
    app.post(`/:id/${action}`, async (c) => {
      const id = pathId(c, "not_found");
      const { key } = keyOf(await keys.update(id, () => ({ disabled })));
      invalidate({ kind: "key", keyId: id });
      return c.json(key);
    });
  }

  app.post("/:id/revoke", async (c) => {
    const id = pathId(c, "not_found");
    const key = await keys.revoke(id);
    if (!key) throw new GatewayError("not_found");
    invalidate({ kind: "key", keyId: id });
    return c.json(key);
  });

  app.get("/:id/usage", async (c) => {
    const id = pathId(c, "not_found");
    const range = readUsageRange(c);
    if (!(await keys.get(id))) throw new GatewayError("not_found");
    return c.json(await summarizeUsage(db, { keyId: id, ...range }));
  });

  return app;
}
