import { describe, expect, test } from "bun:test";
import { createSseDecoder } from "./sse-decode.ts";
import { bytesOf, pushThrough, randomSplit, splitAt, textOf } from "./stream-test-helpers.ts";

async function decode(chunks: Uint8Array[]): Promise<string[]> {
  const frames = await pushThrough(createSseDecoder(), chunks);
  return frames.map((frame) => textOf(frame.toBytes()));
}

/** Frames as the decoder must emit them; the fixture is their concatenation. */
const FRAMES = [
  'data: {"id":"c1","choices":[{"delta":{"content":"Hi"}}]}\n\n',
  ": keep-alive\n\n",
  "event: response.output_text.delta\ndata: héllo 🌍\n\n",
  "data: line one\ndata: line two\n\n",
  "\n",
  "id: 3\r\ndata: crlf\r\n\r\n",
  "data: cr\r\r",
  "data: [DONE]\n\n",
];
const FIXTURE = bytesOf(FRAMES.join(""));

/** Short fixture mixing every line ending, for the every-pair-of-offsets sweep. */
const SHORT_FRAMES = ["a\r\n\r\n", "b\r\r", "c\n\r\n", "d\r\n\n", "\r", "é\n\n", "e"];
const SHORT = bytesOf(SHORT_FRAMES.join(""));

describe("createSseDecoder: chunk boundaries", () => {
  test("one chunk", async () => {
    expect(await decode([FIXTURE])).toEqual(FRAMES);
  });

  test("split at every offset gives the same frames", async () => {
    for (let at = 0; at <= FIXTURE.length; at++) {
      expect(await decode(splitAt(FIXTURE, [at]))).toEqual(FRAMES);
    }
  });

  test("split at every pair of offsets of a short mixed-line-ending fixture", async () => {
    for (let a = 0; a <= SHORT.length; a++) {
      for (let b = a; b <= SHORT.length; b++) {
        expect(await decode(splitAt(SHORT, [a, b]))).toEqual(SHORT_FRAMES);
      }
    }
  });

  test("one byte at a time, and random chunkings", async () => {
    const offsets = Array.from({ length: FIXTURE.length - 1 }, (_, i) => i + 1);
    expect(await decode(splitAt(FIXTURE, offsets))).toEqual(FRAMES);
    for (let seed = 1; seed <= 50; seed++) {
      expect(await decode(randomSplit(FIXTURE, seed))).toEqual(FRAMES);
    }
  });
});

describe("createSseDecoder: framing", () => {
  test.each([
    ["LF", "data: a\n\ndata: b\n\n", ["data: a\n\n", "data: b\n\n"]],
    ["CRLF", "data: a\r\n\r\ndata: b\r\n\r\n", ["data: a\r\n\r\n", "data: b\r\n\r\n"]],
    ["CR", "data: a\r\rdata: b\r\r", ["data: a\r\r", "data: b\r\r"]],
    ["CR then CRLF blank line", "data: a\r\r\ndata: b\n\n", ["data: a\r\r\n", "data: b\n\n"]],
    ["stray blank lines are frames of their own", "\n\ndata: a\n\n\r\n", ["\n", "\n", "data: a\n\n", "\r\n"]],
    ["trailing frame without blank line", "data: a\n\ndata: b\n", ["data: a\n\n", "data: b\n"]],
    ["trailing frame without any line ending", "data: a\n\ndata: [DONE]", ["data: a\n\n", "data: [DONE]"]],
    ["a final CR ends the last frame", "data: a\r\r", ["data: a\r\r"]],
    ["nothing", "", []],
  ])("%s", async (_name, input, frames) => {
    expect(await decode([bytesOf(input)])).toEqual(frames);
  });

  test("UTF-8 split inside a character comes out whole", async () => {
    const input = bytesOf("data: héllo 🌍\n\n");
    for (let at = 0; at <= input.length; at++) {
      const frames = await pushThrough(createSseDecoder(), splitAt(input, [at]));
      expect(frames.map((frame) => frame.data)).toEqual(["héllo 🌍"]);
    }
  });

  test("a frame completing inside one chunk is a zero-copy view of it", async () => {
    const chunk = bytesOf("data: a\n\ndata: b\n\n");
    const frames = await pushThrough(createSseDecoder(), [chunk]);
    expect(frames.map((frame) => frame.raw?.buffer === chunk.buffer)).toEqual([true, true]);
  });

  test("empty chunks are ignored", async () => {
    const chunks = [new Uint8Array(0), bytesOf("data: a\r"), new Uint8Array(0), bytesOf("\r\n"), new Uint8Array(0)];
    expect(await decode(chunks)).toEqual(["data: a\r\r\n"]);
  });

  test("a frame spread over many chunks is joined once, in order", async () => {
    const big = `data: ${"x".repeat(100_000)}\n\n`;
    const frames = await pushThrough(createSseDecoder(), randomSplit(bytesOf(big), 7, 1000));
    expect(frames.map((frame) => textOf(frame.toBytes()))).toEqual([big]);
  });
});
