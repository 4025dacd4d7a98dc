import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pino from "pino";
import { formatCredential } from "../core/credentials.ts";
import { createBaseApp } from "../http/app.ts";
import type { ErrorCode } from "../http/error-codes.ts";
import { createHttpMetrics } from "../http/metrics.ts";
import { startFakeGuardrail, type FakeGuardrail } from "../testing/fake-guardrail.ts";
import { insertTestKey } from "../testing/fixtures/keys.ts";
import { integrationServices } from "../testing/services.ts";
import { startTestGateway, type TestGateway } from "../testing/test-gateway.ts";
import { call, expectError, jsonOf } from "./admin/admin-test-helpers.ts";
import { createClientGuardrailRoutes } from "./client-guardrails.ts";

const services = await integrationServices();
const PROMPT = "Reach Jane at jane.doe@example.com or +1 (415) 555-0100; her SSN is 123-45-6789.";
const REDACTED = "Reach Jane at [EMAIL_1] or [PHONE_1]; her SSN is [SSN_1].";
const PII_COUNTS = { email: 1, phone: 1, ssn: 1, restored: 0 };

interface TestReply {
  input: unknown;
  applied_guardrails: string[];
  results: Record<string, unknown>[];
}

const result = (guardrail: string, mode: string, action: string, over: Record<string, unknown> = {}) => ({
  guardrail,
  mode,
  action,
  failed: false,
  latency_ms: expect.any(Number),
  reason: null,
  counts: {},
  ...over,
});

test("without the hot-path caches both routes answer 503 store_unavailable", async () => {
  const app = createBaseApp({ listener: "control", logger: pino({ level: "silent" }), metrics: createHttpMetrics() });
  app.route("/v1/guardrails", createClientGuardrailRoutes({}));
  await expectError(await app.request("/v1/guardrails"), "store_unavailable");
  await expectError(await app.request("/v1/guardrails/test", { method: "POST", body: "{}" }), "store_unavailable");
});

describe.skipIf(!services.postgres || !services.redis)("client guardrail routes /v1/guardrails (virtual key)", () => {
  let gw: TestGateway;
  let guard: FakeGuardrail;
  const keys: Record<string, { raw: string; id: string }> = {};
  let catalog: Map<string, { description: string; modes: string[] }>;

  const clientFetch = (authorization: string | null, path: string, init: RequestInit = {}) =>
    fetch(`${gw.controlUrl}${path}`, {
      ...init,
      headers: { "content-type": "application/json", ...(authorization === null ? {} : { authorization }) },
    });
  const runTest = (key: string, body: unknown) =>
    clientFetch(`Bearer ${keys[key]!.raw}`, "/v1/guardrails/test", { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });
  const discover = async (key: string) => (await jsonOf<{ object: string; data: unknown[] }>(await clientFetch(`Bearer ${keys[key]!.raw}`, "/v1/guardrails"), 200));
  const entry = (name: string, flags: { default_on?: boolean; mandatory?: boolean; optional?: boolean }) => ({
    id: name,
    object: "guardrail",
    description: catalog.get(name)!.description,
    modes: catalog.get(name)!.modes,
    default_on: false,
    mandatory: false,
    optional: false,
    ...flags,
  });

  beforeAll(async () => {
    gw = await startTestGateway();
    guard = startFakeGuardrail({ delayMs: 2_000 });
    const guardrails: [string, string[], string, string, Record<string, unknown>?][] = [
      ["house-rules", ["pre_call"], "fail_open", "warn", { default_on: true }],
      ["shouty", ["pre_call", "post_call"], "fail_closed", "modify"],
      ["blocker", ["pre_call"], "fail_closed", "block"],
      ["watcher", ["pre_call"], "dry_run", "block"],
      ["down", ["pre_call"], "fail_closed", "slow", { timeout_ms: 200 }],
      ["lenient", ["pre_call"], "fail_open", "500"],
      ["dormant", ["pre_call"], "fail_closed", "allow", { enabled: false }],
    ];
    for (const [name, modes, failure_policy, behaviour, extra] of guardrails) {
      const body = { name, description: `the ${name} guardrail`, modes, failure_policy, endpoint_url: guard.endpoint(behaviour as never), ...extra };
      await jsonOf(await call(gw, "POST", "/admin/guardrails", body), 201);
    }
    const policies: Record<string, Record<string, unknown>> = {
      redactor: { mandatory_guardrails: ["pii-redact"], optional_guardrails: ["shouty", "watcher", "lenient", "dormant"], forbidden_guardrails: ["house-rules"] },
      plain: {},
      blocked: { mandatory_guardrails: ["blocker"], forbidden_guardrails: ["house-rules"] },
      unavailable: { mandatory_guardrails: ["down"], forbidden_guardrails: ["house-rules"] },
    };
    for (const [name, guardrail_policy] of Object.entries(policies)) {
      const created = await jsonOf<{ raw_key: string; key: { id: string } }>(await call(gw, "POST", "/admin/keys", { owner_type: "individual", guardrail_policy }), 201);
      keys[name] = { raw: created.raw_key, id: created.key.id };
    }
    const listed = await jsonOf<{ data: { name: string; description: string; modes: string[] }[] }>(await call(gw, "GET", "/admin/guardrails"), 200);
    catalog = new Map(listed.data.map((g) => [g.name, g]));
  });
  afterAll(async () => {
    await gw?.stop();
    await guard?.stop();
  });

  test("discovery: enabled default-on, mandatory and optional guardrails, minus forbidden and disabled ones", async () => {
    expect(await discover("redactor")).toEqual({
      object: "list",
      data: [
        entry("lenient", { optional: true }),
        entry("pii-redact", { mandatory: true }),
        entry("shouty", { optional: true }),
        entry("watcher", { optional: true }),
      ],
    });
    expect(await discover("plain")).toEqual({ object: "list", data: [entry("house-rules", { default_on: true })] });
  });

  test("pii-redact pre_call returns placeholders and counts, never the values", async () => {
    const reply = await jsonOf<TestReply>(await runTest("redactor", { mode: "pre_call", input: { model: "m", messages: [{ role: "user", content: PROMPT }] } }), 200);
    expect(reply).toEqual({
      input: { model: "m", messages: [{ role: "user", content: REDACTED }] },
      applied_guardrails: ["pii-redact"],
      results: [result("pii-redact", "pre_call", "modify", { counts: PII_COUNTS })],
    });
  });

  test("requested optional guardrails run after the mandatory one, each on the previous output; dry_run and fail_open are recorded", async () => {
    guard.requests.length = 0;
    const res = await runTest("redactor", { guardrails: ["shouty", "watcher", "lenient"], mode: "pre_call", input: { model: "m", messages: [{ role: "user", content: PROMPT }] } });
    expect(await jsonOf<TestReply>(res, 200)).toEqual({
      input: { model: "M", messages: [{ role: "USER", content: REDACTED.toUpperCase() }] },
      applied_guardrails: ["pii-redact", "shouty", "watcher", "lenient"],
      results: [
        result("pii-redact", "pre_call", "modify", { counts: PII_COUNTS }),
        result("shouty", "pre_call", "modify", { reason: "modified by the fake guardrail" }),
        result("watcher", "pre_call", "block", { reason: "blocked by the fake guardrail" }),
        result("lenient", "pre_call", "warn", { failed: true, reason: "http_status" }),
      ],
    });
    const sent = guard.requests.find((r) => r.path === "/modify")!.body as Record<string, unknown>;
    expect(sent).toMatchObject({
      guardrail: "shouty",
      mode: "pre_call",
      context: { key_id: keys.redactor!.id, project_id: null, model: "m", route: "guardrails-test", provider: null },
      request: { model: "m", messages: [{ role: "user", content: REDACTED }] },
    });
    expect(JSON.stringify(guard.requests)).not.toContain("jane.doe@example.com");
  });

  test("post_call runs only the guardrails that have it; pii-redact with an empty vault redacts new PII", async () => {
    const input = { choices: [{ message: { role: "assistant", content: "Write to bob@example.com" } }] };
    const reply = await jsonOf<TestReply>(await runTest("redactor", { guardrails: ["watcher"], mode: "post_call", input }), 200);
    expect(reply).toEqual({
      input: { choices: [{ message: { role: "assistant", content: "Write to [EMAIL_1]" } }] },
      applied_guardrails: ["pii-redact"],
      results: [result("pii-redact", "post_call", "modify", { counts: { email: 1, phone: 0, ssn: 0, restored: 0 } })],
    });
  });

  test("default-on guardrails apply to every key; any JSON input; nothing applies ⇒ input unchanged", async () => {
    expect(await jsonOf<TestReply>(await runTest("plain", { mode: "pre_call", input: "hello" }), 200)).toEqual({
      input: "hello",
      applied_guardrails: ["house-rules"],
      results: [result("house-rules", "pre_call", "warn", { reason: "looks odd to the fake guardrail" })],
    });
    expect(await jsonOf<TestReply>(await runTest("plain", { mode: "post_call", input: [1, null] }), 200)).toEqual({ input: [1, null], applied_guardrails: [], results: [] });
    expect(await jsonOf<TestReply>(await runTest("plain", { mode: "post_call", input: null }), 200)).toEqual({ input: null, applied_guardrails: [], results: [] });
  });

  test("forbidden or non-optional ⇒ 403 guardrail_forbidden; unknown or disabled ⇒ 400; block ⇒ 403; fail_closed failure ⇒ 502", async () => {
    await expectError(await runTest("redactor", { guardrails: ["house-rules"], mode: "pre_call", input: {} }), "guardrail_forbidden");
    await expectError(await runTest("plain", { guardrails: ["pii-redact"], mode: "pre_call", input: {} }), "guardrail_forbidden");
    await expectError(await runTest("redactor", { guardrails: ["nope"], mode: "pre_call", input: {} }), "invalid_guardrail_request", "not available");
    await expectError(await runTest("redactor", { guardrails: ["dormant"], mode: "pre_call", input: {} }), "invalid_guardrail_request", "not available");
    const many = Array.from({ length: 33 }, () => "shouty");
    await expectError(await runTest("redactor", { guardrails: many, mode: "pre_call", input: {} }), "invalid_guardrail_request", "at most 32");
    await expectError(await runTest("blocked", { mode: "pre_call", input: { text: "x" } }), "guardrail_blocked");
    await expectError(await runTest("unavailable", { mode: "pre_call", input: { text: "x" } }), "guardrail_unavailable");
  });

  test("malformed bodies ⇒ 400 invalid_guardrail_request naming the field; oversized ⇒ 413", async () => {
    const cases: [unknown, string][] = [
      [{ input: 1 }, "field `mode`"],
      [{ mode: "during_call", input: 1 }, "field `mode`"],
      [{ mode: "pre_call" }, "field `input`"],
      [{ mode: "pre_call", input: 1, guardrails: "pii-redact" }, "field `guardrails`"],
      [{ mode: "pre_call", input: 1, guardrails: [7] }, "field `guardrails.0`"],
      [{ mode: "pre_call", input: 1, extra: true }, "field `extra`"],
      [[], "payload"],
      ["{not json", "not valid JSON"],
      ["", "payload"],
    ];
    for (const [body, message] of cases) await expectError(await runTest("redactor", body), "invalid_guardrail_request", message);
    const huge = JSON.stringify({ mode: "pre_call", input: "x".repeat(5 * 1024 * 1024) });
    await expectError(await runTest("redactor", huge), "request_body_too_large");
  });

  test("every 401 of a virtual key, on both routes, before the body is looked at", async () => {
    const db = gw.gateway.database.db;
    const wellFormed = formatCredential("rk_live_", crypto.getRandomValues(new Uint8Array(32)));
    const cases: [string | null, ErrorCode][] = [
      [null, "missing_authorization"],
      ["Bearer nope", "malformed_authorization"],
      [`Basic ${keys.plain!.raw}`, "malformed_authorization"],
      [`Bearer ${gw.operatorToken}`, "malformed_authorization"],
      [`Bearer ${wellFormed}`, "invalid_virtual_key"],
      [`Bearer ${(await insertTestKey(db, { revokedAt: new Date() })).raw}`, "revoked_virtual_key"],
      [`Bearer ${(await insertTestKey(db, { disabled: true })).raw}`, "disabled_virtual_key"],
      [`Bearer ${(await insertTestKey(db, { expiresAt: new Date(Date.now() - 1_000) })).raw}`, "expired_virtual_key"],
    ];
    for (const [authorization, code] of cases) {
      await expectError(await clientFetch(authorization, "/v1/guardrails"), code);
      await expectError(await clientFetch(authorization, "/v1/guardrails/test", { method: "POST", body: "{not json" }), code);
    }
  });
});
