import { SseFrame } from "./sse-frame.ts";

const LF = 0x0a;
const CR = 0x0d;

function concat(parts: Uint8Array[], tail?: Uint8Array): Uint8Array {
  let length = tail?.length ?? 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  if (tail) out.set(tail, offset);
  return out;
}

/**
 * Bytes → SSE frames, split after each blank line (a line ending — CRLF, LF or CR — that ends an
 * empty line), working on bytes only: a frame is a subarray of the chunk it completes in (zero
 * copy), or one concatenation of the pieces it spanned, so UTF-8 characters split across chunks
 * come out whole and per-chunk work is O(chunk). Blank lines between events become frames of
 * their own so that decode → encode is byte-identical.
 *
 * Bytes left when the upstream ends without a final blank line are emitted as one last frame,
 * as-is: we forward everything we got (SSE clients drop such an unterminated event themselves).
 */
export interface FrameSplitter {
  push(chunk: Uint8Array): void;
  /** The upstream ended: emit what is held back. */
  end(): void;
}

/** The decoder's logic as plain calls, for the fused relay in pipeline.ts. */
export function createFrameSplitter(emit: (frame: SseFrame) => void): FrameSplitter {
  let held: Uint8Array[] = []; // earlier chunks' pieces of the frame in progress
  let lineHasContent = false; // the line in progress (carried over from the last chunk) is not empty
  let endedWithCR = false; // the last chunk ended with CR: an LF starting the next one belongs to it
  let crEndedFrame = false; // ...and that CR ended a blank line, so the frame ends after CR(LF)

  function frameOf(chunk: Uint8Array, start: number, end: number): SseFrame {
    if (held.length === 0) return new SseFrame(chunk.subarray(start, end));
    const frame = new SseFrame(concat(held, chunk.subarray(start, end)));
    held = [];
    return frame;
  }

  return {
    push(chunk) {
      const length = chunk.length;
      if (length === 0) return;
      let start = 0; // where the frame in progress begins in this chunk
      let i = 0; // where the line in progress begins in this chunk
      if (endedWithCR) {
        endedWithCR = false;
        if (chunk[0] === LF) i = 1;
        if (crEndedFrame) {
          crEndedFrame = false;
          emit(frameOf(chunk, 0, i));
          start = i;
        }
      }
      // Both searches are cached and only redone past the terminator they found: O(chunk).
      let nextLF = chunk.indexOf(LF, i);
      let nextCR = chunk.indexOf(CR, i);
      while (nextLF >= 0 || nextCR >= 0) {
        const isLF = nextCR < 0 || (nextLF >= 0 && nextLF < nextCR);
        const at = isLF ? nextLF : nextCR;
        const blank = at === i && !lineHasContent;
        lineHasContent = false;
        let end = at + 1;
        if (isLF) {
          nextLF = chunk.indexOf(LF, end);
        } else if (end === length) {
          // CR or CRLF? The next chunk (or the end of the stream) decides; hold the frame back.
          endedWithCR = true;
          crEndedFrame = blank;
          i = end;
          break;
        } else {
          if (chunk[end] === LF) end++;
          nextLF = chunk.indexOf(LF, end);
          nextCR = chunk.indexOf(CR, end);
        }
        i = end;
        if (blank) {
          emit(frameOf(chunk, start, end));
          start = end;
        }
      }
      if (i < length) lineHasContent = true;
      if (start < length) held.push(start === 0 ? chunk : chunk.subarray(start));
    },
    end() {
      // A frame ended by a final CR, or a trailing frame without its blank line: forward as-is.
      if (held.length > 0) emit(new SseFrame(concat(held)));
      held = [];
    },
  };
}

export function createSseDecoder(): TransformStream<Uint8Array, SseFrame> {
  let controller: TransformStreamDefaultController<SseFrame>;
  const splitter = createFrameSplitter((frame) => controller.enqueue(frame));
  return new TransformStream<Uint8Array, SseFrame>({
    transform(chunk, c) {
      controller = c;
      splitter.push(chunk);
    },
    flush(c) {
      controller = c;
      splitter.end();
    },
  });
}
