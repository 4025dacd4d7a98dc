/** Array-in / array-out helpers for the stream tests (not used by production code). */
import { SseFrame } from "./sse-frame.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const bytesOf = (text: string): Uint8Array => encoder.encode(text);
export const textOf = (bytes: Uint8Array): string => decoder.decode(bytes);

/** Cut `bytes` at the given ascending offsets (empty pieces included). */
export function splitAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const offset of offsets) {
    pieces.push(bytes.slice(from, offset));
    from = offset;
  }
  pieces.push(bytes.slice(from));
  return pieces;
}

/** A stream that yields `chunks` and closes (ReadableStream.from is missing from the bundled types). */
export function streamOf<T>(chunks: readonly T[]): ReadableStream<T> {
  return new ReadableStream<T>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

/** Deterministic pseudo-random chunking (so failures reproduce). */
export function randomSplit(bytes: Uint8Array, seed: number, maxChunk = 7): Uint8Array[] {
  let state = seed;
  const offsets: number[] = [];
  for (let at = 0; at < bytes.length; ) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    at += 1 + (state % maxChunk);
    if (at < bytes.length) offsets.push(at);
  }
  return splitAt(bytes, offsets);
}

/**
 * Write `inputs` one at a time (each write awaited, so `beforeEach` can move a fake clock between
 * them) while reading everything out; resolves with the outputs once the stream closes.
 */
export async function pushThrough<I, O>(
  transform: TransformStream<I, O>,
  inputs: readonly I[],
  beforeEach?: (index: number) => void,
): Promise<O[]> {
  const outputs = Array.fromAsync(transform.readable);
  const writer = transform.writable.getWriter();
  for (const [index, input] of inputs.entries()) {
    beforeEach?.(index);
    await writer.write(input);
  }
  await writer.close();
  return outputs;
}

/** Frames from SSE text, one frame per string (as the decoder would produce them). */
export const framesOf = (texts: readonly string[]): SseFrame[] => texts.map((text) => new SseFrame(bytesOf(text)));

/** The wire text of frames, one string per frame. */
export const wireOf = (frames: readonly SseFrame[]): string[] => frames.map((frame) => textOf(frame.toBytes()));

/** Rejects if `promise` does not settle within `ms`: a hang fails fast instead of timing out. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)),
  ]);
}
