import { describe, expect, test } from "bun:test";
import { chainStages, StreamHalt, type FrameStage } from "./frame-stage.ts";
import { createSsePipeline } from "./pipeline.ts";
import { SseFrame } from "./sse-frame.ts";
import { bytesOf, textOf } from "./stream-test-helpers.ts";

describe("asynchronous stages in the relay", () => {
  test("a stage that halts: its error event goes last, the upstream is cancelled, the code reported", async () => {
    const halting: FrameStage = {
      frame: (frame, emit) => {
        if (!frame.data.includes("stop")) return emit(frame);
        return Bun.sleep(1).then(() => {
          throw new StreamHalt("guardrail_blocked", SseFrame.fromData('{"error":{"code":"guardrail_blocked"}}'));
        });
      },
      end: () => {},
    };
    let cancelled = false;
    const upstream = new ReadableStream<Uint8Array>({
      start: (c) => c.enqueue(bytesOf('data: {"a":1}\n\ndata: {"stop":1}\n\ndata: {"b":2}\n\n')),
      cancel: () => void (cancelled = true),
    });
    const { body, outcome, halted } = createSsePipeline(upstream, { kind: "chat", hideUsageChunk: false, now: () => 0, startedAt: 0, stages: [halting] });
    const text = (await Array.fromAsync(body)).map(textOf).join("");
    expect(text).toBe('data: {"a":1}\n\ndata: {"error":{"code":"guardrail_blocked"}}\n\n');
    expect(cancelled).toBe(true);
    expect(halted()).toBe("guardrail_blocked");
    expect((await outcome).status).toBe("upstream_error");
  });

  test("frames handed to a waiting stage queue behind it, in order; synchronous stages stay synchronous", async () => {
    const out: string[] = [];
    const slow: FrameStage = { frame: (f, emit) => Bun.sleep(2).then(() => emit(f)), end: () => {} };
    const splitter: FrameStage = { frame: (f, emit) => [1, 2].forEach((n) => emit(SseFrame.fromData(`${f.data}.${n}`))), end: () => {} };
    const chain = chainStages([splitter, slow], (f) => out.push(f.data));
    chain.frame(SseFrame.fromData("a"));
    chain.frame(SseFrame.fromData("b"));
    expect(out).toEqual([]);
    await chain.settle();
    expect(out).toEqual(["a.1", "a.2", "b.1", "b.2"]);
    const sync = chainStages([splitter], (f) => out.push(f.data));
    sync.frame(SseFrame.fromData("c"));
    expect(sync.settle()).toBeUndefined();
    expect(sync.end()).toBeUndefined();
    expect(out.slice(-2)).toEqual(["c.1", "c.2"]);
  });
});
