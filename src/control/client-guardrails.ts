import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import * as v from "valibot";
import { discoverableGuardrails, selectGuardrails } from "../core/guardrail-selection.ts";
import { GuardrailBlocked, GuardrailUnavailable, runGuardrails, type RunState } from "../guardrails/run.ts";
import type { AppEnv } from "../http/app-env.ts";
import { GatewayError } from "../http/errors.ts";
import { readJsonBody } from "../http/validation.ts";
import { assertKeyUsable, authenticateKey } from "../http/virtual-key.ts";
import type { KeyCache } from "../store/cache/key-cache.ts";
import type { RuntimeConfig, RuntimeSnapshot } from "../store/cache/runtime-config.ts";
import type { KeyRecord } from "../store/repos/key-records.ts";
import { exactObject } from "./admin/common-schemas.ts";

export interface ClientGuardrailRouteDeps {
  /** Absent (a control app without the hot-path caches): the routes answer store_unavailable. */
  cache?: { keys: KeyCache; runtime: RuntimeConfig };
}

/** As large as an AI request body may be on the proxy. */
const MAX_TEST_BODY_BYTES = 4 * 1024 * 1024;

const testBody = exactObject({
  guardrails: v.optional(v.array(v.string())),
  mode: v.picklist(["pre_call", "post_call"]),
  input: v.unknown(),
});

type Env = AppEnv & { Variables: { clientKey: KeyRecord; snapshot: RuntimeSnapshot } };

/** The `route` HTTP guardrails see in their context on a dry run. */
const TEST_ROUTE = "guardrails-test";

/**
 * The client (virtual-key) guardrail routes of the control listener (contract 8): discovery and
 * a dry run of the selected guardrails on a given input, without any provider call. Nothing is
 * recorded as an execution event: these are not proxied requests.
 */
export function createClientGuardrailRoutes(deps: ClientGuardrailRouteDeps): Hono<Env> {
  const app = new Hono<Env>();

  // Contract 2 order: the key is checked before the body is read or measured.
  const authenticate = createMiddleware<Env>(async (c, next) => {
    if (!deps.cache) throw new GatewayError("store_unavailable");
    const key = await authenticateKey(c.req.header("authorization"), deps.cache.keys);
    assertKeyUsable(key, Date.now());
    c.set("keyId", key.id);
    c.set("clientKey", key);
    c.set("snapshot", await deps.cache.runtime.current());
    await next();
  });
  const limitBody = bodyLimit({
    maxSize: MAX_TEST_BODY_BYTES,
    onError: () => {
      throw new GatewayError("request_body_too_large");
    },
  });

  app.get("/", authenticate, (c) => {
    const policy = c.var.clientKey.guardrailPolicy;
    const data = discoverableGuardrails(c.var.snapshot.guardrails, policy).map((g) => ({
      id: g.name,
      object: "guardrail",
      description: g.description,
      modes: g.modes,
      default_on: g.defaultOn,
      mandatory: policy.mandatoryGuardrails.includes(g.name),
      optional: policy.optionalGuardrails.includes(g.name),
    }));
    return c.json({ object: "list", data });
  });

  app.post("/test", authenticate, limitBody, async (c) => {
    const key = c.var.clientKey;
    const body = await readJsonBody(c, testBody, "invalid_guardrail_request");
    const selection = selectGuardrails(c.var.snapshot.guardrails, key.guardrailPolicy, body.guardrails);
    if (!selection.ok) throw new GatewayError(selection.code, { message: selection.message });
    const applied = selection.applied.filter(({ guardrail }) => guardrail.modes.includes(body.mode));
    const input = body.input as { model?: unknown } | null;
    const state: RunState = {
      requestId: c.get("requestId"),
      context: {
        key_id: key.id,
        project_id: key.projectId,
        model: typeof input?.model === "string" ? input.model : null,
        route: TEST_ROUTE,
        provider: null,
      },
      vault: null,
      runs: [],
    };
    const output = await runGuardrails(applied, body.mode, body.input, state).catch((err: unknown) => {
      if (err instanceof GuardrailBlocked) throw new GatewayError("guardrail_blocked");
      if (err instanceof GuardrailUnavailable) throw new GatewayError("guardrail_unavailable");
      throw err;
    });
    return c.json({
      input: output ?? null,
      applied_guardrails: applied.map(({ guardrail }) => guardrail.name),
      results: state.runs.map((run) => ({
        guardrail: run.name,
        mode: run.mode,
        action: run.action,
        failed: run.failed,
        latency_ms: run.latencyMs,
        reason: run.reason,
        counts: run.counts,
      })),
    });
  });

  return app;
}
