import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startProxyFixture, type ProxyFixture } from "../testing/proxy-fixture.ts";
import { integrationServices } from "../testing/services.ts";
import { startFakeGuardrail, type FakeGuardrail } from "../testing/fake-guardrail.ts";

const services = await integrationServices();
const PROMPT = "Reach Jane at jane.doe@example.com or +1 (415) 555-0100; her SSN is 123-45-6789.";
const PII = ["jane.doe@example.com", "(415) 555-0100", "123-45-6789"];

describe.skipIf(!services.postgres || !services.redis)("guardrails on proxied traffic: pii-redact, the seed's example", () => {
  let fx: ProxyFixture;
  let guard: FakeGuardrail;
  let restoring: OpenAI;
  let placeholders: OpenAI;

  const createKey = async (
    guardrailPolicy: Record<string, unknown>,
    policy: Record<string, unknown> = { allow_streaming: true },
    headers: Record<string, string> = {},
  ) => {
    const res = await fx.gw.adminFetch("/admin/keys", {
      method: "POST",
      body: JSON.stringify({ owner_type: "individual", policy: { allowed_routes: ["/v1/chat/completions", "/v1/responses"], ...policy }, guardrail_policy: guardrailPolicy }),
    });
    expect(res.status).toBe(201);
    return fx.client(((await res.json()) as { raw_key: string }).raw_key, { headers: { "x-stub-echo": "1", "x-stub-chunk-size": "3", ...headers } });
  };

  beforeAll(async () => {
    fx = await startProxyFixture();
    guard = startFakeGuardrail();
    restoring = await createKey({ mandatory_guardrails: ["pii-redact"] });
    placeholders = await createKey({
      mandatory_guardrails: ["pii-redact"],
      guardrail_config_overrides: { "pii-redact": { restore_output: false } },
    });
  });
  afterAll(async () => {
    await fx?.stop();
    await guard?.stop();
  });

  const upstreamSawPii = () => fx.stub.requests.some((r) => PII.some((v) => r.bodyText.includes(v)));

  test("non-streamed: the upstream never sees the PII; restore_output true gets it back, false keeps placeholders", async () => {
    fx.stub.reset();
    const a = await restoring.chat.completions.create({ model: "m", messages: [{ role: "user", content: PROMPT }] }).withResponse();
    const b = await placeholders.chat.completions.create({ model: "m", messages: [{ role: "user", content: PROMPT }] });
    expect(upstreamSawPii()).toBe(false);
    expect(fx.stub.requests[0]!.bodyText).toContain("[EMAIL_1]");
    expect(a.data.choices[0]!.message.content).toBe(PROMPT);
    expect(a.response.headers.get("x-relayna-applied-guardrails")).toBe("pii-redact");
    expect(b.choices[0]!.message.content).toBe("Reach Jane at [EMAIL_1] or [PHONE_1]; her SSN is [SSN_1].");
    for (const value of PII) expect(b.choices[0]!.message.content).not.toContain(value);
  });

  test("streamed in 3-character chunks: restored text for one key, placeholders for the other, never a raw value upstream", async () => {
    fx.stub.reset();
    const collect = async (client: OpenAI) => {
      let text = "";
      const stream = await client.chat.completions.create({ model: "m", stream: true, messages: [{ role: "user", content: PROMPT }] });
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      return text;
    };
    expect(await collect(restoring)).toBe(PROMPT);
    const kept = await collect(placeholders);
    expect(kept).toContain("[EMAIL_1]");
    for (const value of PII) expect(kept).not.toContain(value);
    expect(upstreamSawPii()).toBe(false);
  });

  test("streamed tool-call arguments: redacted upstream, restored or kept per restore_output, in 3-character fragments", async () => {
    const toolCalls = { allow_streaming: true, allow_tools: true };
    const restoringTools = await createKey({ mandatory_guardrails: ["pii-redact"] }, toolCalls, { "x-stub-tool-call": "1" });
    const keepingTools = await createKey(
      { mandatory_guardrails: ["pii-redact"], guardrail_config_overrides: { "pii-redact": { restore_output: false } } },
      toolCalls,
      { "x-stub-tool-call": "1" },
    );
    fx.stub.reset();
    const argumentsOf = async (client: OpenAI) => {
      const stream = await client.chat.completions.create({ model: "m", stream: true, messages: [{ role: "user", content: PROMPT }] });
      const fragments: string[] = [];
      let finish: string | null = null;
      for await (const chunk of stream) {
        for (const call of chunk.choices[0]?.delta.tool_calls ?? []) fragments.push(call.function?.arguments ?? "");
        finish ??= chunk.choices[0]?.finish_reason ?? null;
      }
      expect(finish).toBe("tool_calls");
      return fragments;
    };
    const restored = await argumentsOf(restoringTools);
    expect(JSON.parse(restored.join(""))).toEqual({ text: PROMPT });
    const kept = await argumentsOf(keepingTools);
    expect(JSON.parse(kept.join(""))).toEqual({ text: "Reach Jane at [EMAIL_1] or [PHONE_1]; her SSN is [SSN_1]." });
    for (const value of PII) expect(kept.join("")).not.toContain(value);
    expect(restored.length).toBeGreaterThan(10); // streamed in fragments, not gathered into one
    expect(upstreamSawPii()).toBe(false);
  });

  test("Responses API, plain and streamed: restored or kept, events carrying the whole text included", async () => {
    fx.stub.reset();
    const plain = await restoring.responses.create({ model: "m", input: PROMPT });
    expect(plain.output_text).toBe(PROMPT);
    const streamed = async (client: OpenAI) => {
      let deltas = "";
      let done = "";
      let completed = "";
      const stream = await client.responses.create({ model: "m", input: PROMPT, stream: true });
      for await (const event of stream) {
        if (event.type === "response.output_text.delta") deltas += event.delta;
        if (event.type === "response.output_text.done") done = event.text;
        if (event.type === "response.completed") completed = event.response.output_text ?? JSON.stringify(event.response.output);
      }
      return { deltas, done, completed };
    };
    const restored = await streamed(restoring);
    expect(restored.deltas).toBe(PROMPT);
    expect(restored.done).toBe(PROMPT);
    const kept = await streamed(placeholders);
    for (const text of [kept.deltas, kept.done, kept.completed]) for (const value of PII) expect(text).not.toContain(value);
    expect(kept.deltas).toContain("[EMAIL_1]");
    expect(upstreamSawPii()).toBe(false);
  });

  test("a streamed answer whose response guardrail cannot run during the call fails closed before the upstream", async () => {
    const res = await fx.gw.adminFetch("/admin/guardrails", {
      method: "POST",
      body: JSON.stringify({ name: "post-only", modes: ["post_call"], endpoint_url: `${guard.url}/allow` }),
    });
    expect(res.status).toBe(201);
    const client = await createKey({ mandatory_guardrails: ["post-only"] });
    fx.stub.reset();
    const err = await client.chat.completions.create({ model: "m", stream: true, messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, code: "guardrail_unavailable" });
    expect(fx.stub.requests).toHaveLength(0);
  });

  test("the guardrails field: removed before forwarding; forbidden or unknown names refused", async () => {
    const guarded = await createKey({ optional_guardrails: ["pii-redact"] });
    fx.stub.reset();
    const asked = await guarded.chat.completions.create({ model: "m", messages: [{ role: "user", content: PROMPT }], guardrails: ["pii-redact"] } as never);
    expect(asked.choices[0]!.message.content).toBe(PROMPT);
    expect(JSON.parse(fx.stub.requests[0]!.bodyText).guardrails).toBeUndefined();
    expect(upstreamSawPii()).toBe(false);
    const notOptional = await placeholders.chat.completions.create({ model: "m", messages: [], guardrails: ["nope"] } as never).catch((e: unknown) => e);
    expect(notOptional).toMatchObject({ status: 400, code: "invalid_guardrail_request" });
    const forbidden = await createKey({ forbidden_guardrails: ["pii-redact"] });
    const refused = await forbidden.chat.completions.create({ model: "m", messages: [], guardrails: ["pii-redact"] } as never).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 403, code: "guardrail_forbidden" });
  });

  test("a request pii-redact finds nothing in reaches the upstream byte for byte", async () => {
    const res = await fx.gw.adminFetch("/admin/keys", {
      method: "POST",
      body: JSON.stringify({ owner_type: "individual", policy: { allowed_routes: ["/v1/chat/completions"] }, guardrail_policy: { mandatory_guardrails: ["pii-redact"] } }),
    });
    const { raw_key } = (await res.json()) as { raw_key: string };
    // Spacing and an escape JSON.stringify would not reproduce: a re-serialized body would differ.
    const body = '{ "model" : "m",\n  "messages": [ { "role": "user", "content": "caf\\u00e9 at 10:30, order #4155550100" } ] }';
    fx.stub.reset();
    const answer = await fetch(`${fx.gw.proxyUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${raw_key}`, "content-type": "application/json" },
      body,
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-relayna-applied-guardrails")).toBe("pii-redact");
    expect(fx.stub.requests[0]!.bodyText).toBe(body);
  });

  test("each run is an execution event (counts, never content) and a metric", async () => {
    await restoring.chat.completions.create({ model: "m", messages: [{ role: "user", content: PROMPT }] });
    const stream = await restoring.chat.completions.create({ model: "m", messages: [{ role: "user", content: PROMPT }], stream: true });
    for await (const _ of stream);
    let rows: Record<string, unknown>[] = [];
    for (let i = 0; i < 40 && !rows.some((r) => r.mode === "during_call"); i++) {
      await Bun.sleep(100);
      rows = [...((await fx.gw.gateway.database.db.execute(
        "select guardrail_name, mode, action, counts, reason from guardrail_execution_events where guardrail_name = 'pii-redact'" as never,
      )) as unknown as Iterable<Record<string, unknown>>)];
    }
    expect(rows.some((r) => r.mode === "pre_call" && r.action === "modify" && (r.counts as { email: number }).email >= 1)).toBe(true);
    // The stream echoes placeholders only (restored, nothing new to redact): its during-call run allows.
    expect(rows.some((r) => r.mode === "during_call" && r.action === "allow")).toBe(true);
    for (const value of PII) expect(JSON.stringify(rows)).not.toContain(value);
    const metrics = await (await fetch(`${fx.gw.controlUrl}/metrics`)).text();
    expect(metrics).toMatch(/relayna_guardrail_executions_total\{[^}]*guardrail="pii-redact"[^}]*\} \d+/);
  });

  test("HTTP guardrails before the call: block, fail_closed and fail_open", async () => {
    const make = async (name: string, path: string, failurePolicy: string) => {
      const res = await fx.gw.adminFetch("/admin/guardrails", {
        method: "POST",
        body: JSON.stringify({ name, modes: ["pre_call"], failure_policy: failurePolicy, endpoint_url: `${guard.url}${path}`, timeout_ms: 200 }),
      });
      expect(res.status).toBe(201);
      return createKey({ mandatory_guardrails: [name] }, {});
    };
    const blocked = await (await make("blocker", "/block", "fail_closed")).chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(blocked).toMatchObject({ status: 403, code: "guardrail_blocked" });
    const down = await (await make("down", "/slow", "fail_closed")).chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(down).toMatchObject({ status: 502, code: "guardrail_unavailable" });
    const open = await (await make("lenient", "/500", "fail_open")).chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] });
    expect(open.object).toBe("chat.completion");
    const dry = await (await make("watcher", "/block", "dry_run")).chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] });
    expect(dry.object).toBe("chat.completion");
  });

  test("HTTP guardrails modify the request before the call and the answer after it", async () => {
    // The fake replaces runtime_config.word with .replacement in every string it is sent.
    for (const [name, mode] of [["louder-in", "pre_call"], ["louder-out", "post_call"]] as const) {
      const res = await fx.gw.adminFetch("/admin/guardrails", {
        method: "POST",
        body: JSON.stringify({ name, modes: [mode], endpoint_url: `${guard.url}/replace`, runtime_config: { word: "quiet", replacement: "loud" } }),
      });
      expect(res.status).toBe(201);
    }
    fx.stub.reset();
    const louderIn = await createKey({ mandatory_guardrails: ["louder-in"] }, {});
    const before = await louderIn.chat.completions.create({ model: "m", messages: [{ role: "user", content: "quiet words" }] });
    expect(fx.stub.requests[0]!.bodyText).toContain("loud words");
    expect(fx.stub.requests[0]!.bodyText).not.toContain("quiet");
    expect(before.choices[0]!.message.content).toBe("loud words");
    const louderOut = await createKey({ mandatory_guardrails: ["louder-out"] }, {});
    fx.stub.reset();
    const after = await louderOut.chat.completions.create({ model: "m", messages: [{ role: "user", content: "quiet words" }] }).withResponse();
    expect(fx.stub.requests[0]!.bodyText).toContain("quiet words");
    expect(after.data.choices[0]!.message.content).toBe("loud words");
    expect(after.response.headers.get("x-relayna-applied-guardrails")).toBe("louder-out");
  });
});
