import { describe, expect, test } from "bun:test";
import { createSseDecoder } from "./sse-decode.ts";
import { createSseEncoder } from "./sse-encode.ts";
import { SseFrame } from "./sse-frame.ts";
import { bytesOf, pushThrough, randomSplit, splitAt, streamOf, textOf } from "./stream-test-helpers.ts";

async function roundTrip(chunks: Uint8Array[]): Promise<string> {
  const stream = streamOf(chunks).pipeThrough(createSseDecoder()).pipeThrough(createSseEncoder());
  return textOf(Buffer.concat(await Array.fromAsync(stream)));
}

const FIXTURE = [
  ": comment\r\n\r\n",
  "event: response.created\ndata: {\"type\":\"response.created\"}\n\n",
  "data: {\"choices\":[{\"delta\":{\"content\":\"héllo 🌍\"}}]}\r\n\r\n",
  "data: a\rdata: b\r\r",
  "\n\n",
  "id: 9\nretry: 10\ndata: x\n\n",
  "data: [DONE]\n\n",
  "data: trailing, no blank line",
].join("");

describe("createSseEncoder", () => {
  test("decode → encode is byte-identical at every split offset", async () => {
    const input = bytesOf(FIXTURE);
    for (let at = 0; at <= input.length; at++) {
      expect(await roundTrip(splitAt(input, [at]))).toBe(FIXTURE);
    }
  });

  test("decode → encode is byte-identical for random chunkings", async () => {
    for (let seed = 1; seed <= 100; seed++) {
      expect(await roundTrip(randomSplit(bytesOf(FIXTURE), seed, 13))).toBe(FIXTURE);
    }
  });

  test("unmodified frames are emitted as their raw bytes; modified ones re-serialised", async () => {
    const raw = bytesOf("data:untouched\r\n\r\n");
    const changed = new SseFrame(bytesOf("event: e\ndata: old\n\n"));
    changed.replaceData("new");
    const out = await pushThrough(createSseEncoder(), [new SseFrame(raw), changed]);
    expect(out[0]).toBe(raw);
    expect(out.map(textOf)).toEqual(["data:untouched\r\n\r\n", "event: e\ndata: new\n\n"]);
  });
});
