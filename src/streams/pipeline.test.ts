import { describe, expect, test } from "bun:test";
import { createSsePipeline, type SsePipelineOptions } from "./pipeline.ts";
import type { SseFrame } from "./sse-frame.ts";
import { bytesOf, randomSplit, textOf, within } from "./stream-test-helpers.ts";
import type { StreamOutcome } from "./usage-tap.ts";

const chunk = (content: string) =>
  `data: {"id":"c1","object":"chat.completion.chunk","model":"m-1","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}],"usage":null}\n\n`;
const USAGE = `data: {"id":"c1","object":"chat.completion.chunk","model":"m-1","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n`;
const DONE = "data: [DONE]\n\n";

const OPTIONS: SsePipelineOptions = { kind: "chat", hideUsageChunk: false, now: () => 1042, startedAt: 1000 };

/** An upstream body the test drives by hand, recording whether (and why) it was cancelled. */
function controlledUpstream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const cancelled = Promise.withResolvers<unknown>();
  const stream = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    cancel: (reason) => cancelled.resolve(reason),
  });
  return {
    stream,
    cancelled: cancelled.promise,
    push: (text: string) => controller.enqueue(bytesOf(text)),
    close: () => controller.close(),
    fail: (error: Error) => controller.error(error),
  };
}

const readAll = async (body: ReadableStream<Uint8Array>) => (await Array.fromAsync(body)).map(textOf).join("");

function settledYet(outcome: Promise<StreamOutcome>): Promise<boolean> {
  return Promise.race([outcome.then(() => true), Bun.sleep(5).then(() => false)]);
}

describe("createSsePipeline", () => {
  test("a frame reaches the client as soon as its blank line arrives, before the upstream ends", async () => {
    const upstream = controlledUpstream();
    const { body, outcome } = createSsePipeline(upstream.stream, OPTIONS);
    const reader = body.getReader();
    upstream.push(chunk("Hel"));
    expect(textOf((await within(reader.read(), 100, "first frame")).value!)).toBe(chunk("Hel"));

    const pending = reader.read();
    upstream.push('data: {"half":');
    expect(await Promise.race([pending.then(() => "early"), Bun.sleep(10).then(() => "held")])).toBe("held");
    upstream.push('"frame"}\n\n');
    expect(textOf((await within(pending, 100, "second frame")).value!)).toBe('data: {"half":"frame"}\n\n');
    expect(await settledYet(outcome)).toBe(false);

    upstream.push(USAGE + DONE);
    upstream.close();
    reader.releaseLock();
    expect(await readAll(body)).toBe(USAGE + DONE);
    expect(await outcome).toEqual({
      status: "completed",
      usage: { inputTokens: 5, outputTokens: 2, totalTokens: 7, costUsd: null },
      firstTokenMs: 42,
      model: "m-1",
    });
  });

  test("byte-identical passthrough, or exactly the usage chunk hidden, whatever the chunking", async () => {
    const input = chunk("a") + chunk("héllo 🌍") + USAGE + DONE;
    for (const hideUsageChunk of [false, true]) {
      for (let seed = 1; seed <= 20; seed++) {
        const upstream = new Blob(randomSplit(bytesOf(input), seed, 40)).stream();
        const { body, outcome } = createSsePipeline(upstream, { ...OPTIONS, hideUsageChunk });
        expect(await readAll(body)).toBe(hideUsageChunk ? input.replace(USAGE, "") : input);
        expect((await outcome).usage?.totalTokens).toBe(7);
      }
    }
  });

  test("client cancel ⇒ the upstream is cancelled within a few ms, outcome client_aborted", async () => {
    const upstream = controlledUpstream();
    const { body, outcome } = createSsePipeline(upstream.stream, OPTIONS);
    const reader = body.getReader();
    upstream.push(chunk("Hi"));
    await reader.read();
    const pending = reader.read(); // the client is waiting on an idle upstream when it leaves
    await reader.cancel("client went away");
    expect(await within(upstream.cancelled, 5, "upstream cancel")).toBe("client went away");
    expect((await pending).done).toBe(true);
    expect(await outcome).toEqual({ status: "client_aborted", usage: null, firstTokenMs: 42, model: "m-1" });
  });

  test("upstream error mid-stream ⇒ the client stream closes after the frames received", async () => {
    const upstream = controlledUpstream();
    const { body, outcome } = createSsePipeline(upstream.stream, OPTIONS);
    upstream.push(chunk("one") + chunk("two") + 'data: {"choices":[{"del'); // a half frame is dropped
    setTimeout(() => upstream.fail(new Error("ECONNRESET")), 5);
    expect(await within(readAll(body), 100, "body end")).toBe(chunk("one") + chunk("two"));
    expect(await outcome).toEqual({ status: "upstream_error", usage: null, firstTokenMs: 42, model: "m-1" });
  });

  test("upstream ends without [DONE] ⇒ body closes with what arrived, outcome upstream_error", async () => {
    const upstream = controlledUpstream();
    const { body, outcome } = createSsePipeline(upstream.stream, OPTIONS);
    upstream.push(chunk("one") + "data: tail without blank line");
    upstream.close();
    expect(await readAll(body)).toBe(chunk("one") + "data: tail without blank line");
    expect((await outcome).status).toBe("upstream_error");
  });

  test("transforms run between decode and the tap; only the frames they change are re-serialised", async () => {
    const redact = new TransformStream<SseFrame, SseFrame>({
      transform(frame, controller) {
        if (frame.data.includes("secret")) frame.replaceData(frame.data.replace("secret", "[REDACTED]"));
        controller.enqueue(frame);
      },
    });
    const input = chunk("a") + "data:  secret\r\n\r\n" + USAGE + DONE;
    const { body, outcome } = createSsePipeline(new Blob([input]).stream(), { ...OPTIONS, transforms: [redact] });
    expect(await readAll(body)).toBe(chunk("a") + "data:  [REDACTED]\n\n" + USAGE + DONE);
    expect((await outcome).status).toBe("completed");
  });

  test("a transform that throws ⇒ body closes, upstream cancelled, outcome upstream_error", async () => {
    const upstream = controlledUpstream();
    const broken = new TransformStream<SseFrame, SseFrame>({
      transform(frame, controller) {
        if (frame.data.includes("boom")) throw new Error("guardrail crashed");
        controller.enqueue(frame);
      },
    });
    const { body, outcome } = createSsePipeline(upstream.stream, { ...OPTIONS, transforms: [broken] });
    upstream.push(chunk("ok") + chunk("boom"));
    expect(await within(readAll(body), 100, "body end")).toBe(chunk("ok"));
    expect((await within(upstream.cancelled, 100, "upstream cancel")) as Error).toBeInstanceOf(Error);
    expect((await outcome).status).toBe("upstream_error");
  });
});

describe("createSsePipeline over HTTP", () => {
  test("a client disconnect aborts the gateway's fetch to the upstream", async () => {
    const upstreamCancelled = Promise.withResolvers<void>();
    const upstream = Bun.serve({
      port: 0,
      fetch: () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start: (c) => c.enqueue(bytesOf(chunk("first"))), // then stays open, like a slow model
            cancel: () => upstreamCancelled.resolve(),
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    });
    const outcome = Promise.withResolvers<StreamOutcome>();
    const gateway = Bun.serve({
      port: 0,
      async fetch() {
        const response = await fetch(upstream.url); // deliberately no signal: the body cancel must do it
        const pipeline = createSsePipeline(response.body!, OPTIONS);
        outcome.resolve(pipeline.outcome);
        return new Response(pipeline.body, { headers: { "content-type": "text/event-stream" } });
      },
    });
    try {
      const client = new AbortController();
      const response = await fetch(gateway.url, { signal: client.signal });
      const reader = response.body!.getReader();
      expect(textOf((await reader.read()).value!)).toBe(chunk("first"));
      client.abort();
      await within(upstreamCancelled.promise, 2000, "upstream stream cancel");
      expect((await within(outcome.promise, 2000, "outcome")).status).toBe("client_aborted");
    } finally {
      await gateway.stop(true);
      await upstream.stop(true);
    }
  });
});
