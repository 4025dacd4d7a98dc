import type { StubBehaviour } from "./behaviour.ts";
import type { Exchange } from "./exchange.ts";
import type { Reply } from "./reply.ts";

/** How the frames of a body go out: which are paced, and where the stream stalls or drops. */
export interface DeliveryPlan {
  frames: readonly Uint8Array[];
  /** Frames [pacedFrom, pacedTo) each wait `delayMs` before being sent. */
  pacedFrom: number;
  pacedTo: number;
  delayMs: number;
  /** Before frame `cutAt`: hang until the client leaves, or break the connection. */
  cutAt: number;
  interruption: "none" | "stall" | "drop";
}

/**
 * A real stream: each paced frame is enqueued after its delay (and flushed when `pull`
 * returns); the `cancel` callback is how a client disconnect reaches the exchange.
 */
export function deliverFrames(plan: DeliveryPlan, exchange: Exchange): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (next < plan.frames.length) {
        if (next === plan.cutAt && plan.interruption !== "none") {
          if (plan.interruption === "drop") {
            // Let the frames before the cut reach the socket first; erroring the body then
            // makes Bun reset the connection mid-response.
            if (!(await exchange.sleep(0))) return;
            exchange.finish();
            controller.error(new Error("stub upstream: dropped mid-stream on purpose"));
          } else {
            await exchange.hang();
          }
          return;
        }
        const paced = plan.delayMs > 0 && next >= plan.pacedFrom && next < plan.pacedTo;
        if (paced && !(await exchange.sleep(plan.delayMs))) return;
        const frame = plan.frames[next++];
        if (frame !== undefined) controller.enqueue(frame);
        if (paced) return;
      }
      exchange.finish();
      controller.close();
    },
    cancel() {
      exchange.abort(true);
    },
  });
}

const encoder = new TextEncoder();

/**
 * The body of a reply: a whole string when nothing interferes, otherwise a stream that paces
 * content frames and stalls or drops at half the content (half the bytes for a JSON body).
 * `exchange` is only called when a stream is returned.
 */
export function replyBody(
  reply: Reply,
  behaviour: StubBehaviour,
  exchange: () => Exchange,
): string | ReadableStream<Uint8Array> {
  const interruption = behaviour.stall === "mid-stream" ? "stall" : behaviour.dropMidStream ? "drop" : "none";
  if (reply.kind === "json") {
    const text = JSON.stringify(reply.body);
    if (interruption === "none" || reply.status >= 400) return text;
    const bytes = encoder.encode(text);
    const half = bytes.length >> 1;
    const frames = [bytes.subarray(0, half), bytes.subarray(half)];
    return deliverFrames({ frames, pacedFrom: 0, pacedTo: 0, delayMs: 0, cutAt: 1, interruption }, exchange());
  }
  const plan: DeliveryPlan = {
    frames: reply.frames.map((frame) => encoder.encode(frame)),
    pacedFrom: reply.contentStart,
    pacedTo: reply.contentStart + reply.contentCount,
    delayMs: behaviour.chunkDelayMs,
    cutAt: reply.contentStart + Math.floor(reply.contentCount / 2),
    interruption,
  };
  return deliverFrames(plan, exchange());
}
