import { createFrameSplitter, createSseDecoder } from "./sse-decode.ts";
import { createSseEncoder } from "./sse-encode.ts";
import { chainStages, StreamHalt, type FrameStage } from "./frame-stage.ts";
import type { SseFrame } from "./sse-frame.ts";
import { createUsageObserver, createUsageTap, type StreamOutcome, type UsageTapOptions } from "./usage-tap.ts";

export interface SsePipelineOptions extends UsageTapOptions {
  /** Frame transforms between decoding and the usage tap, in order (Web streams). */
  transforms?: readonly TransformStream<SseFrame, SseFrame>[];
  /** The same as plain calls (during-call guardrails), run inside the fused relay loop. */
  stages?: readonly FrameStage[];
}

export interface SsePipeline {
  /** The client's response body. */
  body: ReadableStream<Uint8Array>;
  outcome: Promise<StreamOutcome>;
  /** The code of the `StreamHalt` a stage ended the stream with (e.g. guardrail_blocked), once it did. */
  halted(): string | null;
  /**
   * Settles (never rejects) once the upstream's first read has: a response returned after it
   * leaves with its head and first bytes in one write instead of two.
   */
  firstRead: Promise<void>;
}

/** Bytes written without a flush before the relay flushes anyway (backpressure from the client). */
const MAX_UNFLUSHED_BYTES = 64 * 1024;

type ReadResult = { done: true; value?: undefined } | { done: false; value: Uint8Array };

/** The read's result when it has already settled successfully, without yielding; else null. */
function readNow(read: Promise<ReadResult>): ReadResult | null {
  return Bun.peek.status(read) === "fulfilled" ? (Bun.peek(read) as ReadResult) : null;
}

/**
 * upstream bytes → decode → transforms → usage tap → encode → `body`. Each frame is forwarded as
 * soon as its blank line arrives. `body` is a thin pull-through wrapper (no buffering of its own)
 * that owns the two ends the tap cannot tell apart by itself:
 *
 * - the client cancels `body` ⇒ outcome `client_aborted`, then the cancel runs back up the
 *   `pipeThrough` chain to the upstream stream, which aborts the gateway's fetch to it;
 * - the upstream (or a transform) errors ⇒ outcome `upstream_error`, and `body` is *closed*, not
 *   errored: the client gets every frame that arrived and a cleanly ended, truncated stream (its
 *   SDK reports the missing [DONE] / response.completed) instead of a reset connection.
 */
export function createSsePipeline(upstream: ReadableStream<Uint8Array>, options: SsePipelineOptions): SsePipeline {
  return options.transforms?.length ? createStagedPipeline(upstream, options) : createFusedPipeline(upstream, options);
}

/**
 * Without frame transforms, the same decoder and tap logic run in one loop over the upstream
 * reader, writing into a Bun direct stream: no per-stage queues. Measured on the bench (2 cores,
 * 32 concurrent streams): an identity TransformStream alone costs ~25% of a bare proxy's
 * throughput, three stages plus the wrapper ~34%, this loop ~18%. Same contract as the staged
 * pipeline: frames forwarded as they complete, client cancel ⇒ `client_aborted` and the upstream
 * cancelled, upstream failure ⇒ a cleanly closed body and `upstream_error`.
 *
 * Reads that have already settled are taken without yielding, and what was written is flushed
 * only before waiting on the upstream: when `pull` first yields after writing, Bun sends the
 * status line and headers in a write of their own (seen with strace), so a stream that arrived
 * whole (its first chunk read before the response was returned) now goes out with its head and
 * final chunk in one write, as a plain pass-through does.
 */
function createFusedPipeline(upstream: ReadableStream<Uint8Array>, options: SsePipelineOptions): SsePipeline {
  const observer = createUsageObserver(options);
  const reader = upstream.getReader();
  // A read can be in flight while the relay waits on something else, and fail (the upstream cut,
  // the client gone) when nobody awaits it any more: each is marked handled; awaiting it still throws.
  const read = () => {
    const pending = reader.read() as Promise<ReadResult>;
    pending.catch(() => {});
    return pending;
  };
  let next = read();
  const firstRead = next.then(
    () => {},
    () => {},
  );
  let cancelled = false;
  let halted: string | null = null;
  let out: ReadableStreamDirectController | null = null;
  let unflushed = 0;
  const forward = (frame: SseFrame) => {
    if (!out) return;
    const bytes = frame.toBytes();
    unflushed += bytes.length;
    out.write(bytes);
  };
  const sink = (frame: SseFrame) => observer.inspect(frame, forward);
  const stages = chainStages(options.stages ?? [], sink);
  const splitter = createFrameSplitter(stages.frame);
  const body = new ReadableStream({
    type: "direct",
    async pull(controller) {
      out = controller;
      try {
        for (;;) {
          const ready = readNow(next);
          if (ready === null || unflushed >= MAX_UNFLUSHED_BYTES) {
            // The client gets what was written before the relay waits on anything.
            unflushed = 0;
            await controller.flush();
            if (cancelled) return;
          }
          const { done, value } = ready ?? (await next);
          if (cancelled) return;
          if (done) break;
          next = read();
          splitter.push(value);
          const waiting = stages.settle();
          if (waiting) await waiting;
          if (cancelled) return;
        }
        splitter.end();
        const ending = stages.end();
        if (ending) await ending;
      } catch (err) {
        // Upstream failed mid-stream: the frames already sent stand; the body ends cleanly.
        // A stage halted: its error event goes last, and the upstream is no longer needed.
        if (cancelled) return;
        stages.cancel();
        if (err instanceof StreamHalt) {
          halted = err.code;
          sink(err.frame);
          reader.cancel(err).catch(() => {});
        }
      }
      // Without the terminal marker this records the cut; after it, `completed` stands.
      observer.end("upstream_error");
      if (!cancelled) controller.close();
    },
    cancel(reason) {
      cancelled = true;
      stages.cancel();
      observer.end("client_aborted");
      return reader.cancel(reason);
    },
  });
  return { body, outcome: observer.outcome, halted: () => halted, firstRead };
}

function createStagedPipeline(upstream: ReadableStream<Uint8Array>, options: SsePipelineOptions): SsePipeline {
  const tap = createUsageTap(options);
  let frames = upstream.pipeThrough(createSseDecoder());
  for (const transform of options.transforms ?? []) frames = frames.pipeThrough(transform);
  const reader = frames.pipeThrough(tap.stream).pipeThrough(createSseEncoder()).getReader();
  let cancelled = false;

  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (cancelled) return;
          if (done) controller.close();
          else controller.enqueue(value);
        } catch {
          tap.end("upstream_error");
          if (!cancelled) controller.close();
        }
      },
      cancel(reason) {
        cancelled = true;
        tap.end("client_aborted");
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { body, outcome: tap.outcome, halted: () => null, firstRead: Promise.resolve() };
}
