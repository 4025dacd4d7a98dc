import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { framesOf, pushThrough, wireOf } from "./stream-test-helpers.ts";
import { createUsageTap, type UsageTapOptions } from "./usage-tap.ts";

// ---- fixtures shaped like OpenAI's wire format -------------------------------------------------

const MODEL = "gpt-4o-mini-2024-07-18";
const USAGE = {
  prompt_tokens: 9,
  completion_tokens: 3,
  total_tokens: 12,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
};

function chatChunk(delta: object, finish: string | null, includeUsage: boolean): string {
  const choice = { index: 0, delta, logprobs: null, finish_reason: finish };
  const chunk = {
    id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    object: "chat.completion.chunk",
    created: 1741569952,
    model: MODEL,
    service_tier: "default",
    system_fingerprint: "fp_06737a9306",
    choices: [choice],
    ...(includeUsage && { usage: null }),
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

function usageChunk(extra: object = {}, usage: object = USAGE): string {
  const chunk = { id: "chatcmpl-B9M", object: "chat.completion.chunk", created: 1741569952, model: MODEL };
  return `data: ${JSON.stringify({ ...chunk, system_fingerprint: "fp_06737a9306", choices: [], usage, ...extra })}\n\n`;
}

const DONE = "data: [DONE]\n\n";

/** role chunk, three content chunks ("Hello", " wor", "ld"), finish chunk. */
function chatBody(includeUsage: boolean, firstDelta: object = { content: "Hello" }): string[] {
  return [
    chatChunk({ role: "assistant", content: "", refusal: null }, null, includeUsage),
    chatChunk(firstDelta, null, includeUsage),
    chatChunk({ content: " wor" }, null, includeUsage),
    chatChunk({ content: "ld" }, null, includeUsage),
    chatChunk({}, "stop", includeUsage),
  ];
}

function responsesEvent(type: string, fields: object): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: 0, ...fields })}\n\n`;
}

function responsesStream(ending = "response.completed", usage: object | null = null): string[] {
  const response = (status: string, use: object | null) => ({
    id: "resp_67c9",
    object: "response",
    created_at: 1741290958,
    status,
    error: null,
    model: "gpt-4.1-2025-04-14",
    output: [],
    usage: use,
  });
  const at = { item_id: "msg_67c9", output_index: 0, content_index: 0 };
  return [
    responsesEvent("response.created", { response: response("in_progress", null) }),
    responsesEvent("response.in_progress", { response: response("in_progress", null) }),
    responsesEvent("response.output_item.added", { output_index: 0, item: { id: "msg_67c9", type: "message" } }),
    responsesEvent("response.content_part.added", { ...at, part: { type: "output_text", text: "" } }),
    responsesEvent("response.output_text.delta", { ...at, delta: "Hi" }),
    responsesEvent("response.output_text.delta", { ...at, delta: " there" }),
    responsesEvent("response.output_text.done", { ...at, text: "Hi there" }),
    responsesEvent(ending, {
      response: response(ending.slice("response.".length), usage ?? { input_tokens: 37, output_tokens: 11, total_tokens: 48 }),
    }),
  ];
}

// ---- harness -------------------------------------------------------------------------------------

/** Runs frames through a tap; the clock reads `times[i]` while frame i is inspected. */
async function tapRun(frames: string[], options: Partial<UsageTapOptions> = {}, times: number[] = []) {
  let clock = 0;
  const tap = createUsageTap({ kind: "chat", hideUsageChunk: false, startedAt: 1000, now: () => clock, ...options });
  const out = await pushThrough(tap.stream, framesOf(frames), (i) => (clock = times[i] ?? 9999));
  return { out: wireOf(out), outcome: await tap.outcome };
}

const usage = (inputTokens: number, outputTokens: number, totalTokens: number, costUsd: number | null = null) => ({
  inputTokens,
  outputTokens,
  totalTokens,
  costUsd,
});

// ---- chat ----------------------------------------------------------------------------------------

describe("usage tap: chat completions", () => {
  test("include_usage asked by the client: every frame forwarded untouched, usage read", async () => {
    const input = [...chatBody(true), usageChunk(), DONE];
    const { out, outcome } = await tapRun(input, {}, [1100, 1250, 1300]);
    expect(out).toEqual(input);
    expect(outcome).toEqual({ status: "completed", usage: usage(9, 3, 12), firstTokenMs: 250, model: MODEL });
  });

  test("include_usage added by the gateway: exactly the usage-only chunk is dropped", async () => {
    const input = [...chatBody(true), usageChunk(), DONE];
    const { out, outcome } = await tapRun(input, { hideUsageChunk: true });
    expect(out).toEqual([...chatBody(true), DONE]);
    expect(outcome.status).toBe("completed");
    expect(outcome.usage).toEqual(usage(9, 3, 12));
  });

  test("usage riding on a content chunk is recorded but the chunk is forwarded", async () => {
    const withUsage = `data: ${JSON.stringify({ model: MODEL, choices: [{ index: 0, delta: { content: "x" } }], usage: USAGE })}\n\n`;
    const { out, outcome } = await tapRun([withUsage, DONE], { hideUsageChunk: true });
    expect(out).toEqual([withUsage, DONE]);
    expect(outcome.usage).toEqual(usage(9, 3, 12));
    expect(outcome.firstTokenMs).toBe(9999 - 1000);
  });

  test("Python-style spacing (`\"usage\": {`) is recognised", async () => {
    const spaced = `data: ${JSON.stringify({ model: MODEL, choices: [], usage: USAGE }, null, 1).replaceAll("\n", "")}\n\n`;
    expect(spaced).toContain('"usage": {');
    const { out, outcome } = await tapRun([...chatBody(false), spaced, DONE], { hideUsageChunk: true });
    expect(out).toEqual([...chatBody(false), DONE]);
    expect(outcome.usage).toEqual(usage(9, 3, 12));
  });

  test("no usage in the stream: completed with usage null", async () => {
    const { out, outcome } = await tapRun([...chatBody(false), DONE], {}, [1001, 1042]);
    expect(out).toEqual([...chatBody(false), DONE]);
    expect(outcome).toEqual({ status: "completed", usage: null, firstTokenMs: 42, model: MODEL });
  });

  test.each([
    ["tool call", { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "" } }] }],
    ["refusal", { refusal: "I can't" }],
  ])("first token may be a %s", async (_name, delta) => {
    const { outcome } = await tapRun([...chatBody(false, delta), DONE], {}, [1010, 1075]);
    expect(outcome.firstTokenMs).toBe(75);
  });

  test("dropped stream (no [DONE]) ⇒ upstream_error, usage null", async () => {
    const { out, outcome } = await tapRun(chatBody(true).slice(0, 3), {}, [1010, 1020]);
    expect(out).toEqual(chatBody(true).slice(0, 3));
    expect(outcome).toEqual({ status: "upstream_error", usage: null, firstTokenMs: 20, model: MODEL });
  });

  // Chunks opening with `data: {` skip the search for the marker; every other way to write it counts.
  test.each([["data:[DONE]\n\n"], ["data:   [DONE]  \r\n\r\n"], [": keep-alive\ndata: [DONE]\n\n"], ["event: done\ndata: [DONE]\n\n"]])(
    "the [DONE] marker written as %j completes the stream",
    async (marker) => {
      const { outcome } = await tapRun([...chatBody(false), marker]);
      expect(outcome.status).toBe("completed");
    },
  );

  test("a chunk whose text is [DONE] is not the marker", async () => {
    const { outcome } = await tapRun(chatBody(false, { content: "[DONE]" }).slice(0, -1));
    expect(outcome.status).toBe("upstream_error");
  });

  test("an error object from the upstream ⇒ upstream_error even if [DONE] follows", async () => {
    const error = `data: {"error":{"message":"upstream overloaded","type":"server_error","code":"503"}}\n\n`;
    const { out, outcome } = await tapRun([...chatBody(false).slice(0, 2), error, DONE]);
    expect(out).toEqual([...chatBody(false).slice(0, 2), error, DONE]);
    expect(outcome.status).toBe("upstream_error");
  });

  test.each([
    ["usage.cost", usageChunk({}, { ...USAGE, cost: 0.00042 }), 0.00042],
    ["response_cost", usageChunk({ response_cost: 0.0012 }), 0.0012],
    ["x_litellm_response_cost", usageChunk({ x_litellm_response_cost: 0.5 }), 0.5],
    ["_hidden_params.response_cost", usageChunk({ _hidden_params: { response_cost: 0.25 } }), 0.25],
    ["zero", usageChunk({}, { ...USAGE, cost: 0 }), 0],
    ["not a number", usageChunk({ response_cost: "0.1" }), null],
    ["negative", usageChunk({}, { ...USAGE, cost: -1 }), null],
  ])("cost from %s", async (_name, chunk, cost) => {
    const { outcome } = await tapRun([...chatBody(true), chunk, DONE]);
    expect(outcome.usage).toEqual(usage(9, 3, 12, cost));
  });

  test("total_tokens missing ⇒ input + output", async () => {
    const { outcome } = await tapRun([usageChunk({}, { prompt_tokens: 4, completion_tokens: 5 }), DONE]);
    expect(outcome.usage).toEqual(usage(4, 5, 9));
  });
});

describe("usage tap: JSON is parsed only when it must be", () => {
  let parse: ReturnType<typeof spyOn<JSON, "parse">> | undefined;
  afterEach(() => parse?.mockRestore());

  test("after the first token, `\"usage\":null` chunks are not parsed", async () => {
    const content = Array.from({ length: 50 }, (_, i) => chatChunk({ content: `t${i}` }, null, true));
    const input = [chatBody(true)[0]!, ...content, usageChunk(), DONE];
    parse = spyOn(JSON, "parse");
    const { outcome } = await tapRun(input, { hideUsageChunk: true });
    // the role chunk, the first content chunk, the usage chunk
    expect(parse).toHaveBeenCalledTimes(3);
    expect(outcome.usage).toEqual(usage(9, 3, 12));
  });

  test("Responses: after the first delta only terminal events are parsed", async () => {
    parse = spyOn(JSON, "parse");
    await tapRun(responsesStream(), { kind: "responses" });
    // created, in_progress, item added, part added, first delta, completed
    expect(parse).toHaveBeenCalledTimes(6);
  });
});

// ---- responses -----------------------------------------------------------------------------------

describe("usage tap: Responses API", () => {
  test("completed: every event forwarded, usage and model read", async () => {
    const input = responsesStream();
    const { out, outcome } = await tapRun(input, { kind: "responses" }, [1001, 1002, 1003, 1004, 1333]);
    expect(out).toEqual(input);
    expect(outcome).toEqual({
      status: "completed",
      usage: usage(37, 11, 48),
      firstTokenMs: 333,
      model: "gpt-4.1-2025-04-14",
    });
  });

  test("usage cost inside response.usage", async () => {
    const input = responsesStream("response.completed", { input_tokens: 1, output_tokens: 2, total_tokens: 3, cost: 0.01 });
    const { outcome } = await tapRun(input, { kind: "responses" });
    expect(outcome.usage).toEqual(usage(1, 2, 3, 0.01));
  });

  test("response.incomplete is a normal (billable) finish", async () => {
    const { outcome } = await tapRun(responsesStream("response.incomplete"), { kind: "responses" });
    expect(outcome.status).toBe("completed");
    expect(outcome.usage).toEqual(usage(37, 11, 48));
  });

  test("response.failed ⇒ upstream_error, usage kept", async () => {
    const { outcome } = await tapRun(responsesStream("response.failed"), { kind: "responses" });
    expect(outcome.status).toBe("upstream_error");
    expect(outcome.usage).toEqual(usage(37, 11, 48));
  });

  test("an error event ⇒ upstream_error, usage null", async () => {
    const error = responsesEvent("error", { code: "server_error", message: "boom", param: null });
    const input = [...responsesStream().slice(0, 5), error];
    const { out, outcome } = await tapRun(input, { kind: "responses" });
    expect(out).toEqual(input);
    expect(outcome.status).toBe("upstream_error");
    expect(outcome.usage).toBeNull();
  });

  test("function-call arguments delta is a first token", async () => {
    const input = responsesStream();
    input[4] = responsesEvent("response.function_call_arguments.delta", { item_id: "fc_1", output_index: 0, delta: "{" });
    const { outcome } = await tapRun(input, { kind: "responses" }, [0, 0, 0, 0, 1500]);
    expect(outcome.firstTokenMs).toBe(500);
  });

  test("dropped before response.completed ⇒ upstream_error", async () => {
    const { outcome } = await tapRun(responsesStream().slice(0, 6), { kind: "responses" });
    expect(outcome.status).toBe("upstream_error");
    expect(outcome.usage).toBeNull();
    expect(outcome.model).toBe("gpt-4.1-2025-04-14");
  });
});

// ---- ending ---------------------------------------------------------------------------------------

describe("usage tap: outcome settles once", () => {
  const options: UsageTapOptions = { kind: "chat", hideUsageChunk: false, now: () => 5, startedAt: 0 };

  test("end(client_aborted) before the terminal marker", async () => {
    const tap = createUsageTap(options);
    const writer = tap.stream.writable.getWriter();
    const reader = tap.stream.readable.getReader();
    void writer.write(framesOf(chatBody(true).slice(0, 2))[0]!);
    await reader.read();
    tap.end("client_aborted");
    tap.end("upstream_error");
    expect(await tap.outcome).toEqual({ status: "client_aborted", usage: null, firstTokenMs: null, model: MODEL });
  });

  test("after [DONE] went through, a client going away still counts as completed", async () => {
    const tap = createUsageTap(options);
    const writer = tap.stream.writable.getWriter();
    const reader = tap.stream.readable.getReader();
    for (const frame of framesOf([...chatBody(true), usageChunk(), DONE])) {
      void writer.write(frame);
      await reader.read();
    }
    await reader.cancel("client closed after [DONE]");
    tap.end("client_aborted");
    expect((await tap.outcome).status).toBe("completed");
    expect((await tap.outcome).usage).toEqual(usage(9, 3, 12));
  });

  test("the writable side aborted (upstream error) settles upstream_error via the cancel hook", async () => {
    const tap = createUsageTap(options);
    await tap.stream.writable.abort(new Error("connection reset"));
    expect((await tap.outcome).status).toBe("upstream_error");
  });
});
