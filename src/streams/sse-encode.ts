import type { SseFrame } from "./sse-frame.ts";

/** SSE frames → bytes: the raw bytes of unmodified frames, the re-serialised form of the others. */
export function createSseEncoder(): TransformStream<SseFrame, Uint8Array> {
  return new TransformStream<SseFrame, Uint8Array>({
    transform(frame, controller) {
      controller.enqueue(frame.toBytes());
    },
  });
}
