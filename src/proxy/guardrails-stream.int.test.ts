import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startProxyFixture, type ProxyFixture } from "../testing/proxy-fixture.ts";
import { integrationServices } from "../testing/services.ts";
import { startFakeGuardrail, type FakeGuardrail } from "../testing/fake-guardrail.ts";

const services = await integrationServices();
// 165 characters: with 3-character chunks the stub sends 55 content chunks.
const PROMPT =
  "The quick brown fox jumps over the lazy dog while the band plays on; " +
  "meanwhile the forbidden word waits near the end of this long line of text. " +
  "Nothing else is here.";
const PII_PROMPT = "Reach Jane at jane.doe@example.com or +1 (415) 555-0100; her SSN is 123-45-6789.";
const PII = ["jane.doe@example.com", "(415) 555-0100", "123-45-6789"];

type Window = { object: string; index: number; text: string; final: boolean };
type Sent = { guardrail: string; mode: string; config: Record<string, unknown>; response: Window };

describe.skipIf(!services.postgres || !services.redis)("HTTP guardrails during a stream: text windows", () => {
  let fx: ProxyFixture;
  let fake: FakeGuardrail;

  beforeAll(async () => {
    fx = await startProxyFixture();
    fake = startFakeGuardrail();
  });
  afterAll(async () => {
    await fx?.stop();
    await fake?.stop();
  });

  const catalog = async (name: string, path: string, extra: Record<string, unknown> = {}) => {
    const res = await fx.gw.adminFetch("/admin/guardrails", {
      method: "POST",
      body: JSON.stringify({ name, modes: ["during_call"], endpoint_url: `${fake.url}${path}`, ...extra }),
    });
    expect(res.status).toBe(201);
  };
  const client = async (guardrails: string[], headers: Record<string, string> = {}) => {
    const res = await fx.gw.adminFetch("/admin/keys", {
      method: "POST",
      body: JSON.stringify({
        owner_type: "individual",
        policy: { allowed_routes: ["/v1/chat/completions", "/v1/responses"], allow_streaming: true, allow_tools: true },
        guardrail_policy: { mandatory_guardrails: guardrails },
      }),
    });
    expect(res.status).toBe(201);
    const key = ((await res.json()) as { raw_key: string }).raw_key;
    return fx.client(key, { headers: { "x-stub-echo": "1", "x-stub-chunk-size": "3", ...headers } });
  };
  /** The streamed text, the request id, and the error the stream ended with (if any). */
  const chat = async (c: OpenAI, prompt = PROMPT) => {
    const { data: stream, response } = await c.chat.completions
      .create({ model: "m", stream: true, messages: [{ role: "user", content: prompt }] })
      .withResponse();
    let text = "";
    let error: unknown = null;
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    } catch (err) {
      error = err;
    }
    return { text, error, requestId: response.headers.get("x-request-id")! };
  };
  const windowsOf = (name: string) =>
    fake.requests.map((r) => r.body as Sent).filter((b) => b.guardrail === name).map((b) => b);
  const events = async (requestId: string, count = 1) => {
    let rows: Record<string, unknown>[] = [];
    for (let i = 0; i < 60 && rows.length < count; i++) {
      await Bun.sleep(100);
      rows = [
        ...((await fx.gw.gateway.database.db.execute(
          `select guardrail_name, mode, action, failure_policy, failed, reason, counts, latency_ms from guardrail_execution_events where request_id = '${requestId}' order by guardrail_name` as never,
        )) as unknown as Iterable<Record<string, unknown>>),
      ];
    }
    return rows;
  };

  test("allow: the client gets the upstream's text; the guardrail got it in windows of at most window_chars, the last final", async () => {
    await catalog("win-allow", "/allow", { runtime_config: { window_chars: 40 } });
    fx.stub.reset();
    const { text, error, requestId } = await chat(await client(["win-allow"]));
    expect(error).toBeNull();
    expect(text).toBe(PROMPT);
    const sent = windowsOf("win-allow");
    expect(sent.length).toBeLessThan(10); // far fewer calls than the 55 content chunks
    expect(sent.map((b) => b.response.text).join("")).toBe(PROMPT);
    sent.forEach((b, i) => {
      expect(b.mode).toBe("during_call");
      expect(b.config.window_chars).toBe(40);
      expect(b.response).toMatchObject({ object: "stream.window", index: i, final: i === sent.length - 1 });
      expect(b.response.text.length).toBeLessThanOrEqual(40);
    });
    const rows = await events(requestId);
    expect(rows).toEqual([
      {
        guardrail_name: "win-allow",
        mode: "during_call",
        action: "allow",
        failure_policy: "fail_closed",
        failed: false,
        reason: null,
        counts: { windows: sent.length },
        latency_ms: expect.any(Number),
      },
    ]);
  });

  test("window_chars must be an integer 32-8192: the catalog and key overrides refuse other values", async () => {
    const bad = await fx.gw.adminFetch("/admin/guardrails", {
      method: "POST",
      body: JSON.stringify({ name: "win-bad", modes: ["during_call"], endpoint_url: `${fake.url}/allow`, runtime_config: { window_chars: 8 } }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "invalid_admin_payload",
      message: expect.stringContaining("window_chars must be an integer from 32 to 8192"),
    });
    const override = await fx.gw.adminFetch("/admin/keys", {
      method: "POST",
      body: JSON.stringify({
        owner_type: "individual",
        guardrail_policy: { mandatory_guardrails: ["win-allow"], guardrail_config_overrides: { "win-allow": { window_chars: "big" } } },
      }),
    });
    expect(override.status).toBe(400);
    expect(((await override.json()) as { error: { message: string } }).error.message).toBe(
      "Invalid field `guardrail_policy.guardrail_config_overrides.win-allow.window_chars`: must be an integer from 32 to 8192.",
    );
  });

  test("modify: the client sees the guardrail's text; the event says modify and carries no text", async () => {
    await catalog("win-upper", "/modify", { runtime_config: { window_chars: 64 } });
    const { text, requestId } = await chat(await client(["win-upper"]));
    expect(text).toBe(PROMPT.toUpperCase());
    const rows = await events(requestId);
    expect(rows[0]).toMatchObject({ action: "modify", counts: { windows: 3 } }); // 64 + 64 + 37 (final)
    expect(JSON.stringify(rows)).not.toContain("quick");
  });

  test("block mid-stream: the stream ends with a guardrail_blocked error event, the upstream is aborted, the row written", async () => {
    await catalog("win-block", "/block-word", { runtime_config: { window_chars: 32, word: "forbidden" } });
    fx.stub.reset();
    const c = await client(["win-block"], { "x-stub-chunk-delay-ms": "15" });
    const { text, error, requestId } = await chat(c);
    expect(error).toMatchObject({ code: "guardrail_blocked", type: "permission_error" });
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toEqual({
      code: "guardrail_blocked",
      type: "permission_error",
      message: "A guardrail blocked this request.",
      request_id: requestId,
    });
    expect(PROMPT.startsWith(text)).toBe(true);
    expect(text).not.toContain("forbidden");
    expect(text.length).toBeGreaterThan(0);
    for (let i = 0; i < 40 && fx.stub.aborted === 0; i++) await Bun.sleep(25);
    expect(fx.stub.aborted).toBe(1);
    const row = await fx.usageRow(requestId);
    expect(row).toMatchObject({ statusCode: 200, errorCode: "guardrail_blocked", stream: true, guardrails: ["win-block"] });
    expect((await events(requestId))[0]).toMatchObject({ action: "block", reason: "blocked by the fake guardrail" });
  });

  test("a guardrail too slow: fail_closed ends the stream with guardrail_unavailable; fail_open releases the text, recorded as warn", async () => {
    await catalog("win-slow-closed", "/slow", { timeout_ms: 200 });
    await catalog("win-slow-open", "/slow", { timeout_ms: 200, failure_policy: "fail_open" });
    const closed = await chat(await client(["win-slow-closed"]));
    expect(closed.error).toMatchObject({ code: "guardrail_unavailable", type: "api_error" });
    expect(closed.text).toBe("");
    expect((await fx.usageRow(closed.requestId)).errorCode).toBe("guardrail_unavailable");
    const open = await chat(await client(["win-slow-open"]));
    expect(open.error).toBeNull();
    expect(open.text).toBe(PROMPT);
    expect((await events(open.requestId))[0]).toMatchObject({ action: "warn", failed: true, reason: "timeout", failure_policy: "fail_open" });
  });

  test("dry_run: the text is neither held nor changed; what the guardrail would have done is recorded", async () => {
    await catalog("win-dry-slow", "/slow", { timeout_ms: 1000, failure_policy: "dry_run" });
    await catalog("win-dry-block", "/block", { failure_policy: "dry_run", runtime_config: { window_chars: 50 } });
    const started = performance.now();
    const slow = await chat(await client(["win-dry-slow"]));
    expect(performance.now() - started).toBeLessThan(700);
    expect(slow.text).toBe(PROMPT);
    expect((await events(slow.requestId))[0]).toMatchObject({ action: "warn", failed: true, reason: "timeout", counts: { windows: 1 } });
    const blocked = await chat(await client(["win-dry-block"]));
    expect(blocked.error).toBeNull();
    expect(blocked.text).toBe(PROMPT);
    expect((await events(blocked.requestId))[0]).toMatchObject({ action: "block", failure_policy: "dry_run", counts: { windows: 4 } }); // 50 × 3 + 15 (final)
  });

  test("in a chain, each sees the previous one's output: after pii-redact the HTTP guardrail sees placeholders, the client the restored text", async () => {
    await catalog("win-after-pii", "/allow", { runtime_config: { window_chars: 32 } });
    fake.requests.length = 0;
    fx.stub.reset();
    const { text, requestId } = await chat(await client(["pii-redact", "win-after-pii"]), PII_PROMPT);
    expect(text).toBe(PII_PROMPT);
    const seen = windowsOf("win-after-pii").map((b) => b.response.text).join("");
    expect(seen).toBe("Reach Jane at [EMAIL_1] or [PHONE_1]; her SSN is [SSN_1].");
    for (const value of PII) expect(JSON.stringify(fake.requests)).not.toContain(value);
    for (const value of PII) expect(fx.stub.requests[0]!.bodyText).not.toContain(value);
    const rows = await events(requestId, 3);
    expect(rows.map((r) => [r.guardrail_name, r.mode])).toEqual([
      ["pii-redact", "pre_call"],
      ["pii-redact", "during_call"],
      ["win-after-pii", "during_call"],
    ]);
  });

  test("Responses API stream: windows over the output text; the events repeating the text carry the modified text", async () => {
    await catalog("win-upper-responses", "/modify", { runtime_config: { window_chars: 50 } });
    const c = await client(["win-upper-responses"]);
    const stream = await c.responses.create({ model: "m", input: PROMPT, stream: true });
    let deltas = "";
    let done = "";
    let completed = "";
    for await (const event of stream) {
      if (event.type === "response.output_text.delta") deltas += event.delta;
      if (event.type === "response.output_text.done") done = event.text;
      if (event.type === "response.completed") completed = event.response.output_text ?? JSON.stringify(event.response.output);
    }
    const upper = PROMPT.toUpperCase();
    expect(deltas).toBe(upper);
    expect(done).toBe(upper);
    expect(completed).toContain(upper);
    expect(completed).not.toContain("quick");
    const windows = windowsOf("win-upper-responses");
    expect(windows.map((b) => b.response.text).join("")).toBe(PROMPT);
    expect(windows.at(-1)!.response.final).toBe(true);
  });

  test("the client leaving while a window is with the guardrail aborts that call and the upstream", async () => {
    await catalog("win-hang", "/slow", { timeout_ms: 5000, runtime_config: { window_chars: 32 } });
    fx.stub.reset();
    await Bun.sleep(200); // the slow calls of the tests above were aborted at their timeouts
    fake.aborted = 0;
    const controller = new AbortController();
    const c = await client(["win-hang"], { "x-stub-chunk-delay-ms": "20" });
    const stream = await c.chat.completions.create(
      { model: "m", stream: true, messages: [{ role: "user", content: PROMPT }] },
      { signal: controller.signal },
    );
    const reading = (async () => {
      for await (const _ of stream);
    })().catch(() => {});
    for (let i = 0; i < 40 && windowsOf("win-hang").length === 0; i++) await Bun.sleep(25);
    expect(windowsOf("win-hang")).toHaveLength(1);
    const started = performance.now();
    controller.abort();
    await reading;
    for (let i = 0; i < 40 && (fx.stub.aborted === 0 || fake.aborted === 0); i++) await Bun.sleep(25);
    expect(fx.stub.aborted).toBe(1);
    expect(fake.aborted).toBe(1);
    const rows = await events(fx.stub.requests[0]!.headers["x-relayna-request-id"]!);
    expect(rows[0]).toMatchObject({ guardrail_name: "win-hang", mode: "during_call" });
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
