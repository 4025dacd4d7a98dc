import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startStubUpstream, type StubUpstream } from "./server.ts";
import { waitFor } from "../wait.ts";

let stub: StubUpstream;
let client: OpenAI;

beforeAll(() => {
  stub = startStubUpstream();
  client = new OpenAI({ baseURL: `${stub.url}/v1`, apiKey: "k", maxRetries: 0 });
});
afterEach(() => stub.reset());
afterAll(() => stub.stop());

const request = { model: "m", messages: [{ role: "user" as const, content: "hi" }] };

/** Content deltas of a chat stream, and how the iteration ended. */
async function readDeltas(stream: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>) {
  const deltas: string[] = [];
  let finished = false;
  let error: unknown;
  try {
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) deltas.push(content);
      if (chunk.choices[0]?.finish_reason) finished = true;
    }
  } catch (e) {
    error = e;
  }
  return { deltas, finished, error };
}

describe("pacing", () => {
  test("the first byte waits firstByteDelayMs", async () => {
    const started = performance.now();
    const res = await fetch(`${stub.url}/v1/models`, { headers: { "x-stub-first-byte-delay-ms": "150" } });
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(145);
    expect(elapsed).toBeLessThan(1000);

    const quick = performance.now();
    await fetch(`${stub.url}/v1/models`);
    expect(performance.now() - quick).toBeLessThan(100);
  });

  test("content chunks arrive chunkDelayMs apart, each flushed on its own", async () => {
    const stream = await client.chat.completions.create(
      { ...request, stream: true },
      { headers: { "x-stub-chunk-count": "4", "x-stub-chunk-delay-ms": "40" } },
    );
    const arrivals: number[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) arrivals.push(performance.now());

    expect(arrivals).toHaveLength(4);
    for (let i = 1; i < arrivals.length; i++) {
      expect(arrivals[i]! - arrivals[i - 1]!).toBeGreaterThanOrEqual(30);
    }
    expect(stub.aborted).toBe(0);
  });
});

describe("interruptions", () => {
  test("stall before headers lasts until the client aborts, and is counted", async () => {
    stub.setDefaults({ stall: "before-headers" });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await client.chat.completions.create(request, { signal: controller.signal }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.APIUserAbortError);
    await waitFor(() => stub.aborted === 1);
  });

  test("stall mid-stream sends half the chunks, then nothing until the client leaves", async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { ...request, stream: true },
      { headers: { "x-stub-stall": "mid-stream" }, signal: controller.signal },
    );
    const reading = readDeltas(stream);
    await Bun.sleep(100);
    controller.abort();
    const { deltas, finished } = await reading;

    expect(deltas).toEqual(["lorem ip", "sum dolo"]);
    expect(finished).toBe(false);
    await waitFor(() => stub.aborted === 1);
  });

  test("a client leaving a paced stream is counted once and stops the stream", async () => {
    const stream = await client.chat.completions.create(
      { ...request, stream: true },
      { headers: { "x-stub-chunk-delay-ms": "30" } },
    );
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) break;

    await waitFor(() => stub.aborted === 1);
    await Bun.sleep(100);
    expect(stub.aborted).toBe(1);
  });

  test("drop mid-stream: the SDK gets half the content, then a connection error, never a finish", async () => {
    const stream = await client.chat.completions.create(
      { ...request, stream: true },
      { headers: { "x-stub-drop-mid-stream": "1", "x-stub-chunk-count": "6" } },
    );
    const { deltas, finished, error } = await readDeltas(stream);

    expect(deltas).toHaveLength(3);
    expect(finished).toBe(false);
    expect(error).toMatchObject({ code: "ECONNRESET" });
    expect(stub.aborted).toBe(0);
  });

  test("drop on a non-streamed answer breaks the JSON body", async () => {
    const error = await client.chat.completions
      .create(request, { headers: { "x-stub-drop-mid-stream": "1" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);

    const res = await fetch(`${stub.url}/v1/models`, { headers: { "x-stub-drop-mid-stream": "1" } });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  test("completed answers are never counted as aborted", async () => {
    stub.setDefaults({ firstByteDelayMs: 5, chunkDelayMs: 1 });
    await client.chat.completions.create(request);
    await readDeltas(await client.chat.completions.create({ ...request, stream: true }));
    await Bun.sleep(50);
    expect(stub.aborted).toBe(0);
  });

  test("stop() ends stalled requests instead of waiting for them", async () => {
    const own = startStubUpstream({ defaults: { stall: "before-headers" } });
    const pending = fetch(`${own.url}/v1/models`).catch((e: unknown) => e);
    await waitFor(() => own.requests.length === 1);
    const started = performance.now();
    await own.stop();
    expect(performance.now() - started).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(Error);
  });
});
