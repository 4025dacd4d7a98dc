import { ascii, bytesAt, hasKeyWithValue, indexOfBytes } from "./bytes.ts";
import type { SseFrame } from "./sse-frame.ts";
import { readChatOutput, readChatUsage, readResponsesUsage, type Json, type StreamUsage } from "./usage-fields.ts";

export type { StreamUsage } from "./usage-fields.ts";

export interface UsageTapOptions {
  kind: "chat" | "responses";
  /** The gateway asked upstream for include_usage although the client did not: drop the usage-only chunk. */
  hideUsageChunk: boolean;
  /** Millisecond clock (performance.now in production). */
  now: () => number;
  /** Request start on that clock. */
  startedAt: number;
}

export type StreamStatus = "completed" | "client_aborted" | "upstream_error";

export interface StreamOutcome {
  status: StreamStatus;
  usage: StreamUsage | null;
  firstTokenMs: number | null;
  model: string | null;
}

export interface UsageTap {
  readonly stream: TransformStream<SseFrame, SseFrame>;
  /** Settles exactly once, whichever way the stream ends. */
  readonly outcome: Promise<StreamOutcome>;
  /**
   * Report an end the tap cannot see for itself: the client went away, or the upstream failed.
   * No-op once settled. Whoever owns the pipeline calls it (see pipeline.ts).
   */
  end(status: Exclude<StreamStatus, "completed">): void;
}

interface TapState {
  model: string | null;
  firstTokenMs: number | null;
  usage: StreamUsage | null;
  /** Set by the terminal marker: [DONE], response.completed, or an error the upstream reported. */
  ended: StreamStatus | null;
}

/** Looks at one frame and passes it to `forward` unless it is the hidden usage chunk. */
type Inspect = (frame: SseFrame, forward: (frame: SseFrame) => void) => void;

const OPEN_BRACE = 0x7b;
const USAGE_KEY = ascii('"usage"');
const ERROR_KEY = ascii('"error"');
const DONE = ascii("[DONE]");
const DATA_OBJECT = [ascii("data: {"), ascii("data:{")];

/**
 * The frame opens with a `data:` line holding a JSON object (every chunk but the last): its data
 * starts with `{`, so it is not the `[DONE]` marker, and the search for one is skipped.
 */
const opensWithObject = (bytes: Uint8Array) => bytesAt(bytes, DATA_OBJECT[0]!) || bytesAt(bytes, DATA_OBJECT[1]!);

/**
 * Chat completions: JSON is parsed only until the first token, and for frames whose bytes hold a
 * `"usage": {` (not the `"usage":null` OpenAI puts on every chunk) or an `"error": {`. Only the
 * usage-only chunk (`choices: []`) is ever dropped; usage riding on a content chunk is forwarded.
 */
function inspectChat(state: TapState, options: UsageTapOptions): Inspect {
  return (frame, forward) => {
    const bytes = frame.toBytes();
    const hasUsage = hasKeyWithValue(bytes, USAGE_KEY, OPEN_BRACE);
    const holdBack = options.hideUsageChunk && hasUsage; // decide before forwarding it
    if (!holdBack) forward(frame);
    if (!opensWithObject(bytes) && indexOfBytes(bytes, DONE) >= 0 && frame.data.trim() === "[DONE]") {
      state.ended ??= "completed";
      return;
    }
    if (!hasUsage && state.firstTokenMs !== null && !hasKeyWithValue(bytes, ERROR_KEY, OPEN_BRACE)) return;
    const chunk = frame.object<Json>();
    if (chunk) {
      if (state.model === null && typeof chunk.model === "string") state.model = chunk.model;
      if (state.firstTokenMs === null && readChatOutput(chunk)) state.firstTokenMs = options.now() - options.startedAt;
      const usage = readChatUsage(chunk);
      if (usage) state.usage = usage;
      if (typeof chunk.error === "object" && chunk.error !== null) state.ended ??= "upstream_error";
    }
    const usageOnly = Array.isArray(chunk?.choices) && chunk.choices.length === 0;
    if (holdBack && !usageOnly) forward(frame);
  };
}

const OUTPUT_DELTAS = new Set([
  "response.output_text.delta",
  "response.function_call_arguments.delta",
  "response.refusal.delta",
]);

/**
 * How a Responses stream ends. `response.incomplete` (max tokens, content filter) is a normal,
 * billable finish; `response.failed` and `error` are the upstream failing. Usage is kept when the
 * event carries it.
 */
const ENDINGS: Readonly<Record<string, StreamStatus>> = {
  "response.completed": "completed",
  "response.incomplete": "completed",
  "response.failed": "upstream_error",
  error: "upstream_error",
};
const ENDING_NEEDLES = Object.keys(ENDINGS).map((type) => ascii(`"${type}"`));

/** Responses API: every frame is forwarded; parsed until the first token, then only endings. */
function inspectResponses(state: TapState, options: UsageTapOptions): Inspect {
  return (frame, forward) => {
    forward(frame);
    if (state.firstTokenMs !== null) {
      const bytes = frame.toBytes();
      if (!ENDING_NEEDLES.some((needle) => indexOfBytes(bytes, needle) >= 0)) return;
    }
    const event = frame.object<Json>();
    if (!event) return;
    const type = typeof event.type === "string" ? event.type : (frame.event ?? "");
    const response = typeof event.response === "object" && event.response !== null ? (event.response as Json) : null;
    if (state.model === null && typeof response?.model === "string") state.model = response.model;
    if (state.firstTokenMs === null && OUTPUT_DELTAS.has(type) && typeof event.delta === "string" && event.delta) {
      state.firstTokenMs = options.now() - options.startedAt;
    }
    const ending = Object.hasOwn(ENDINGS, type) ? ENDINGS[type] : undefined;
    if (ending) {
      const usage = response && readResponsesUsage(response);
      if (usage) state.usage = usage;
      state.ended ??= ending;
    }
  };
}

/**
 * Watches a stream of SSE frames for usage, time to first token and model, without delaying or
 * re-serialising anything. The outcome is `completed` once the terminal marker went through
 * (even if the client or the connection goes away afterwards: OpenAI SDKs close the connection
 * right after [DONE]); otherwise `upstream_error` when the upstream ended or failed first, or
 * `client_aborted` when `end("client_aborted")` came first.
 */
export interface UsageObserver {
  inspect: Inspect;
  readonly outcome: Promise<StreamOutcome>;
  /** Settles the outcome (no-op once settled); `upstream_error` means "ended without the marker" too. */
  end(status: Exclude<StreamStatus, "completed">): void;
}

/** The tap's logic as plain calls, for the fused relay in pipeline.ts. */
export function createUsageObserver(options: UsageTapOptions): UsageObserver {
  const state: TapState = { model: null, firstTokenMs: null, usage: null, ended: null };
  let resolve!: (outcome: StreamOutcome) => void;
  const outcome = new Promise<StreamOutcome>((r) => (resolve = r));
  let settled = false;
  const end = (status: StreamStatus) => {
    if (settled) return;
    settled = true;
    const { model, firstTokenMs, usage, ended } = state;
    resolve({ status: ended ?? status, usage, firstTokenMs, model });
  };
  const inspect = options.kind === "chat" ? inspectChat(state, options) : inspectResponses(state, options);
  return { inspect, outcome, end };
}

export function createUsageTap(options: UsageTapOptions): UsageTap {
  const { inspect, outcome, end } = createUsageObserver(options);
  // `cancel` is in the Streams spec and Bun calls it, but the bundled Transformer type lacks it.
  const transformer: Transformer<SseFrame, SseFrame> & { cancel: (reason: unknown) => void } = {
    transform: (frame, controller) => inspect(frame, (f) => controller.enqueue(f)),
    // The upstream ended: fine if the terminal marker was seen, a dropped connection if not.
    flush: () => end("upstream_error"),
    // Called for an upstream error and a client cancel alike; the pipeline reports the client
    // first, so this is the safety net that keeps the outcome from hanging on an upstream error.
    cancel: () => end("upstream_error"),
  };
  return { stream: new TransformStream(transformer), outcome, end };
}
