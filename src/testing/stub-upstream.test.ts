import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { embedText, loremText, startStubUpstream, type StubUpstream } from "./stub-upstream.ts";

let stub: StubUpstream;
let client: OpenAI;

beforeAll(() => {
  stub = startStubUpstream();
  client = new OpenAI({ baseURL: `${stub.url}/v1`, apiKey: "sk-stub", maxRetries: 0 });
});
afterEach(() => stub.reset());
afterAll(() => stub.stop());

const user = (content: string) => [{ role: "user" as const, content }];

describe("chat completions", () => {
  test("non-stream: a whole chat.completion with lorem content and consistent usage", async () => {
    const completion = await client.chat.completions.create({ model: "gpt-stub", messages: user("hello world!") });
    expect(completion).toMatchObject({
      object: "chat.completion",
      model: "gpt-stub",
      choices: [{ index: 0, message: { role: "assistant", content: loremText(40) }, finish_reason: "stop" }],
      // 12 prompt characters → 3 tokens; 5 chunks × 8 characters → 10 tokens.
      usage: { prompt_tokens: 3, completion_tokens: 10, total_tokens: 13 },
    });
    expect(completion.id).toStartWith("chatcmpl-");
    expect(completion.created).toBeNumber();
  });

  test("stream without include_usage: role chunk, one delta per chunk, finish chunk, no usage", async () => {
    const stream = await client.chat.completions.create({ model: "m", messages: user("hi"), stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks).toHaveLength(7);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    const deltas = chunks.slice(1, 6).map((c) => c.choices[0]?.delta.content);
    expect(deltas).toEqual(["lorem ip", "sum dolo", "r sit am", "et conse", "ctetur a"]);
    expect(chunks[6]?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === "m" && !c.usage)).toBe(true);
  });

  test("stream with include_usage: a final choices-less chunk carries usage", async () => {
    const stream = await client.chat.completions.create({
      model: "m",
      messages: user("12345678"),
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks).toHaveLength(8);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 2, completion_tokens: 10, total_tokens: 12 },
    });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  test("chunk count and size come from headers", async () => {
    const stream = await client.chat.completions.create(
      { model: "m", messages: user("hi"), stream: true, stream_options: { include_usage: true } },
      { headers: { "x-stub-chunk-count": "3", "x-stub-chunk-size": "4" } },
    );
    const deltas: string[] = [];
    let completionTokens = -1;
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) deltas.push(content);
      if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
    }
    expect(deltas).toEqual(["lore", "m ip", "sum "]);
    expect(completionTokens).toBe(3);
  });

  test("echo answers with the last user message, cut every chunkSize characters", async () => {
    stub.setDefaults({ echo: true, chunkSize: 5 });
    const messages = [
      { role: "system" as const, content: "be brief" },
      { role: "user" as const, content: "first question" },
      { role: "assistant" as const, content: "ok" },
      { role: "user" as const, content: [{ type: "text" as const, text: "repeat after me" }] },
    ];
    const whole = await client.chat.completions.create({ model: "m", messages });
    expect(whole.choices[0]?.message.content).toBe("repeat after me");
    // 8 + 14 + 2 + 15 = 39 prompt characters → 10 tokens; 15 characters → 4 tokens.
    expect(whole.usage).toEqual({ prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 });

    const stream = await client.chat.completions.create({ model: "m", messages, stream: true });
    const deltas: string[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) deltas.push(chunk.choices[0].delta.content);
    expect(deltas).toEqual(["repea", "t aft", "er me"]);
  });

  test("reported cost: response header and usage.cost", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "m", messages: user("hi") }, { headers: { "x-stub-cost": "0.0123" } })
      .withResponse();
    expect(response.headers.get("x-litellm-response-cost")).toBe("0.0123");
    expect(data.usage).toMatchObject({ cost: 0.0123 });

    const plain = await client.chat.completions.create({ model: "m", messages: user("hi") }).withResponse();
    expect(plain.response.headers.get("x-litellm-response-cost")).toBeNull();
    expect(plain.data.usage).not.toHaveProperty("cost");
  });
});

describe("responses", () => {
  test("non-stream: a completed response object", async () => {
    const response = await client.responses.create({
      model: "gpt-stub",
      input: "say something",
      instructions: "be nice",
    });
    expect(response).toMatchObject({
      object: "response",
      status: "completed",
      model: "gpt-stub",
      output: [
        {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text: loremText(40), annotations: [] }],
        },
      ],
      // "say something" + "be nice" = 20 characters → 5 tokens.
      usage: { input_tokens: 5, output_tokens: 10, total_tokens: 15 },
    });
    expect(response.output_text).toBe(loremText(40));
  });

  test("stream: the SDK iterates created, deltas, done and completed with usage", async () => {
    const stream = await client.responses.create(
      { model: "m", input: [{ role: "user", content: "echo me please" }], stream: true },
      { headers: { "x-stub-echo": "1", "x-stub-chunk-size": "6" } },
    );
    const types: string[] = [];
    const deltas: string[] = [];
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") deltas.push(event.delta);
      if (event.type === "response.completed") completed = event.response;
    }
    expect(types[0]).toBe("response.created");
    expect(types.filter((t) => t === "response.output_text.delta")).toHaveLength(3);
    expect(types).toContain("response.output_text.done");
    expect(types.at(-1)).toBe("response.completed");
    expect(deltas).toEqual(["echo m", "e plea", "se"]);
    expect(completed?.usage).toMatchObject({ input_tokens: 4, output_tokens: 4, total_tokens: 8 });
  });

  test("stream: the SDK's accumulating helper rebuilds the final response", async () => {
    const stream = client.responses.stream({ model: "m", input: "hi" });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(loremText(40));
    expect(final.status).toBe("completed");
  });
});

describe("embeddings and models", () => {
  test("embeddings: one deterministic vector per input, in base64 (SDK default) and float form", async () => {
    const decoded = await client.embeddings.create({ model: "emb", input: ["alpha", "beta"] });
    expect(decoded.data.map((d) => d.embedding)).toEqual([embedText("alpha"), embedText("beta")]);
    expect(decoded).toMatchObject({ object: "list", model: "emb", usage: { prompt_tokens: 3, total_tokens: 3 } });

    const floats = await client.embeddings.create({ model: "emb", input: "alpha", encoding_format: "float" });
    expect(floats.data).toEqual([{ object: "embedding", index: 0, embedding: embedText("alpha") }]);
    expect(embedText("alpha")).toHaveLength(8);
    expect(embedText("alpha")).not.toEqual(embedText("beta"));
  });

  test("models: a list of a few models", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    expect(ids).toContain("stub-model");
  });
});

describe("errors", () => {
  test("a status override maps to the SDK error class with the OpenAI error body", async () => {
    const failing = client.chat.completions.create(
      { model: "m", messages: user("hi") },
      { headers: { "x-stub-status": "500" } },
    );
    const error = await failing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 500, code: "stub_error", type: "server_error", message: "500 stub error" });

    stub.setDefaults({ status: 429 });
    const limited = await client.responses.create({ model: "m", input: "hi" }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
  });

  test("invalid x-stub headers and malformed JSON are 400 OpenAI errors, never crashes", async () => {
    const error = await client.chat.completions
      .create({ model: "m", messages: user("hi") }, { headers: { "x-stub-chunk-count": "many" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ code: "stub_invalid_header" });

    for (const stall of ["sometimes", ""]) {
      const res = await fetch(`${stub.url}/v1/models`, { headers: { "x-stub-stall": stall } });
      expect(res.status).toBe(400);
    }

    const res = await fetch(`${stub.url}/v1/chat/completions`, { method: "POST", body: "{not json" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message: "stub upstream: the request body must be a JSON object",
        type: "invalid_request_error",
        param: null,
        code: "invalid_json",
      },
    });
    expect(stub.requests.map((r) => r.bodyText)).toContain("{not json");
  });

  test("setDefaults rejects values the headers would reject", () => {
    expect(() => stub.setDefaults({ chunkSize: 0 })).toThrow(TypeError);
    expect(() => stub.setDefaults({ status: 302 })).toThrow(TypeError);
  });
});
