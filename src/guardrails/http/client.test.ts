import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeGuardrail, type FakeGuardrail, type FakeGuardrailBehaviour } from "../../testing/fake-guardrail.ts";
import type { HttpGuardrailTarget } from "../catalog.ts";
import { callHttpGuardrail, type HttpGuardrailCall } from "./client.ts";

const TOKEN = "gr-bearer-token-never-in-outcomes";
const CONTEXT = {
  key_id: "k-1",
  project_id: null,
  model: "gpt-4o-mini",
  route: "chat-completions",
  provider: "litellm",
};
const REQUEST = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hello darn world" }], n: 1 };

describe("callHttpGuardrail against the fake guardrail", () => {
  let fake: FakeGuardrail;
  beforeAll(() => {
    fake = startFakeGuardrail({ delayMs: 2_000 });
  });
  afterAll(async () => {
    await fake.stop();
  });

  const target = (behaviour: FakeGuardrailBehaviour, extra: Partial<HttpGuardrailTarget> = {}) => ({
    name: `fake-${behaviour}`,
    endpointUrl: fake.endpoint(behaviour),
    timeoutMs: 1_500,
    bearerToken: TOKEN,
    ...extra,
  });
  const preCall = (config: Record<string, unknown> = {}): HttpGuardrailCall => ({
    requestId: "req-1",
    mode: "pre_call",
    context: CONTEXT,
    config,
    request: REQUEST,
  });

  test("allow: the wire body of the protocol, the bearer token sent", async () => {
    const before = fake.requests.length;
    expect(await callHttpGuardrail(target("allow"), preCall({ level: 2 }))).toEqual({
      ok: true,
      verdict: { action: "allow" },
    });
    const seen = fake.requests[before]!;
    expect(seen.path).toBe("/allow");
    expect(seen.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen.headers["content-type"]).toBe("application/json");
    expect(seen.body).toEqual({
      request_id: "req-1",
      guardrail: "fake-allow",
      mode: "pre_call",
      context: CONTEXT,
      config: { level: 2 },
      request: REQUEST,
    });
  });

  test("no token configured: no authorization header", async () => {
    const before = fake.requests.length;
    await callHttpGuardrail(target("allow", { bearerToken: null }), preCall());
    expect(fake.requests[before]!.headers.authorization).toBeUndefined();
  });

  test("modify: the replacement payload for the mode (request in pre_call, response after)", async () => {
    const upper = await callHttpGuardrail(target("modify"), preCall());
    expect(upper).toEqual({
      ok: true,
      verdict: {
        action: "modify",
        request: { model: "GPT-4O-MINI", messages: [{ role: "USER", content: "HELLO DARN WORLD" }], n: 1 },
        reason: "modified by the fake guardrail",
      },
    });
    const response = { choices: [{ message: { content: "oh darn" } }] };
    const post: HttpGuardrailCall = { ...preCall(), request: undefined, mode: "post_call", response };
    const config = { word: "darn", replacement: "***" };
    const replaced = await callHttpGuardrail(target("replace"), { ...post, config });
    const content = "oh ***";
    expect(replaced).toMatchObject({ ok: true, verdict: { action: "modify", response: { choices: [{ message: { content } }] } } });
    expect(replaced.ok && "request" in replaced.verdict).toBe(false);
  });

  test("block and warn carry their reason", async () => {
    expect(await callHttpGuardrail(target("block"), preCall())).toEqual({
      ok: true,
      verdict: { action: "block", reason: "blocked by the fake guardrail" },
    });
    expect(await callHttpGuardrail(target("warn"), preCall())).toEqual({
      ok: true,
      verdict: { action: "warn", reason: "looks odd to the fake guardrail" },
    });
  });

  test("slow: a timeout within timeout_ms plus slack", async () => {
    const started = performance.now();
    const outcome = await callHttpGuardrail(target("slow", { timeoutMs: 200 }), preCall());
    const elapsed = performance.now() - started;
    expect(outcome).toEqual({ ok: false, failure: "timeout" });
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(600);
  });

  test("500 ⇒ http_status; garbage, wrong shape, modify without payload ⇒ invalid_reply; nothing echoed", async () => {
    const cases: [FakeGuardrailBehaviour, unknown][] = [
      ["500", { ok: false, failure: "http_status", status: 500 }],
      ["garbage", { ok: false, failure: "invalid_reply" }],
      ["wrong-shape", { ok: false, failure: "invalid_reply" }],
      ["modify-without-payload", { ok: false, failure: "invalid_reply" }],
    ];
    for (const [behaviour, expected] of cases) {
      const outcome = await callHttpGuardrail(target(behaviour), preCall());
      expect(outcome).toEqual(expected as never);
      expect(JSON.stringify(outcome)).not.toContain("internal-detail-xyz");
      expect(JSON.stringify(outcome)).not.toContain(TOKEN);
    }
  });

  test("a modify whose payload has another JSON kind than what was sent is invalid", async () => {
    const call = { ...preCall(), request: undefined, mode: "during_call", response: "some text" } as HttpGuardrailCall;
    expect(await callHttpGuardrail(target("modify"), call)).toEqual({
      ok: true,
      verdict: { action: "modify", response: "SOME TEXT", reason: "modified by the fake guardrail" },
    });
    const reply = Response.json({ action: "modify", response: { text: "an object, not text" } });
    expect(await callHttpGuardrail(target("allow"), call, { fetch: (async () => reply) as never })).toEqual({
      ok: false,
      failure: "invalid_reply",
    });
  });

  test("secret-looking metadata keys are dropped at every depth", async () => {
    const outcome = await callHttpGuardrail(target("secret-metadata"), preCall());
    expect(outcome).toEqual({
      ok: true,
      verdict: { action: "allow", metadata: { score: 0.25, nested: { label: "kept", items: [{ n: 1 }] } } },
    });
    expect(JSON.stringify(outcome)).not.toContain("meta-secret");
  });

  test("a refused connection ⇒ connection; an oversized reply ⇒ invalid_reply", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const deadUrl = `http://127.0.0.1:${closed.port}/allow`;
    await closed.stop(true);
    expect(await callHttpGuardrail(target("allow", { endpointUrl: deadUrl }), preCall())).toEqual({
      ok: false,
      failure: "connection",
    });
    const big = await callHttpGuardrail(target("modify"), preCall(), { maxReplyBytes: 64 });
    expect(big).toEqual({ ok: false, failure: "invalid_reply" });
  });

  test("keep-alive: sequential calls reuse one connection", async () => {
    const before = fake.requests.length;
    for (let i = 0; i < 5; i++) await callHttpGuardrail(target("allow"), preCall());
    const ports = new Set(fake.requests.slice(before).map((r) => r.port));
    expect(ports.size).toBe(1);
    expect([...ports][0]).toBeNumber();
  });
});
