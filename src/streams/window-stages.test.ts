import { describe, expect, spyOn, test } from "bun:test";
import { createDeltaWindowStage } from "./delta-window-stage.ts";
import { chainStages, type FrameStage } from "./frame-stage.ts";
import { createResponsesWindowStage } from "./responses-window-stage.ts";
import { SseFrame } from "./sse-frame.ts";
import type { TextWindows } from "./text-windows.ts";

const TEXT = "Windows of text: héllo 🌍 wörld, and a little more to spill over.";

/** A guardrail that answers each window after a tick, uppercased; `holds: false` is a dry run. */
function upperWindows(chars: number, holds = true) {
  const seen: { text: string; final: boolean }[] = [];
  const state = { ended: false, cancelled: false };
  const windows: TextWindows = {
    chars,
    holds,
    check(text, final) {
      seen.push({ text, final });
      return holds ? Bun.sleep(1).then(() => text.toUpperCase()) : text;
    },
    end: () => void (state.ended = true),
    cancel: () => void (state.cancelled = true),
  };
  return { windows, seen, state };
}

const chat = (delta: Record<string, unknown>, finish: string | null = null) =>
  SseFrame.fromData(JSON.stringify({ id: "c", object: "chat.completion.chunk", model: "m", choices: [{ index: 0, delta, finish_reason: finish }] }));
const DONE = () => SseFrame.fromData("[DONE]");

/** Runs frames through stages the way the relay loop does: settle after each frame, then end. */
async function relay(stages: FrameStage[], frames: SseFrame[]): Promise<SseFrame[]> {
  const out: SseFrame[] = [];
  const chain = chainStages(stages, (f) => out.push(f));
  for (const frame of frames) {
    chain.frame(frame);
    await chain.settle();
  }
  await chain.end();
  return out;
}

const chatText = (frames: SseFrame[]) =>
  frames.filter((f) => f.data.startsWith("{")).map((f) => JSON.parse(f.data).choices[0]?.delta.content ?? "").join("");

describe("chat window stage", () => {
  test("every chunking: the text comes out as answered, windows of at most `chars`, the last final; frames keep their order", async () => {
    for (let size = 1; size <= 12; size++) {
      const { windows, seen, state } = upperWindows(16);
      const pieces = TEXT.match(new RegExp(`[^]{1,${size}}`, "gu"))!;
      const frames = [chat({ role: "assistant", content: "" }), ...pieces.map((p) => chat({ content: p })), chat({}, "stop"), DONE()];
      const out = await relay([createDeltaWindowStage(windows)], frames);
      expect(chatText(out)).toBe(TEXT.toUpperCase());
      expect(seen.map((w) => w.text).join("")).toBe(TEXT);
      expect(seen.every((w, i) => w.text.length <= 16 && w.final === (i === seen.length - 1))).toBe(true);
      expect(seen.length).toBeLessThanOrEqual(Math.ceil(TEXT.length / 15) + 1);
      expect(JSON.parse(out[0]!.data).choices[0].delta.role).toBe("assistant");
      expect(JSON.parse(out.at(-2)!.data).choices[0].finish_reason).toBe("stop");
      expect(out.at(-1)!.data).toBe("[DONE]");
      expect(state.ended).toBe(true);
    }
  });

  test("chunks repeating role and null fields (as LiteLLM sends them) are text all the same: one call per window", async () => {
    const { windows, seen } = upperWindows(32);
    const pieces = TEXT.match(/[^]{1,3}/gu)!;
    const frames = pieces.map((p) => chat({ role: "assistant", content: p, tool_calls: null, function_call: null }));
    const out = await relay([createDeltaWindowStage(windows)], [...frames, chat({ role: "assistant" }, "stop"), DONE()]);
    expect(chatText(out)).toBe(TEXT.toUpperCase());
    expect(seen.length).toBe(Math.floor(TEXT.length / 32) + 1);
    expect(JSON.parse(out[0]!.data).choices[0].delta.role).toBe("assistant");
  });

  test("a surrogate pair is never cut between windows", async () => {
    const { windows, seen } = upperWindows(32);
    const text = "a".repeat(31) + "🌍" + "b".repeat(40);
    await relay([createDeltaWindowStage(windows)], [chat({ content: text }), chat({}, "stop")]);
    expect(seen[0]!.text).toBe("a".repeat(31));
    expect(seen[1]!.text.startsWith("🌍")).toBe(true);
  });

  test("dry run: every frame passes untouched, the windows are only shown", async () => {
    const { windows, seen } = upperWindows(16, false);
    const frames = [chat({ content: TEXT.slice(0, 30) }), chat({ content: TEXT.slice(30) }), chat({}, "stop"), DONE()];
    const raw = frames.map((f) => f.data);
    const out = await relay([createDeltaWindowStage(windows)], frames);
    expect(out.map((f) => f.data)).toEqual(raw);
    expect(seen.map((w) => w.text).join("")).toBe(TEXT);
  });
});

describe("Responses window stage", () => {
  test("deltas come out as answered; output_text.done and response.completed carry the released text", async () => {
    const { windows } = upperWindows(20);
    const event = (type: string, extra: Record<string, unknown>) => SseFrame.fromData(JSON.stringify({ type, output_index: 0, content_index: 0, ...extra }), type);
    const frames = [
      event("response.output_text.delta", { delta: TEXT.slice(0, 25) }),
      event("response.output_text.delta", { delta: TEXT.slice(25) }),
      event("response.output_text.done", { text: TEXT }),
      SseFrame.fromData(JSON.stringify({ type: "response.completed", response: { output: [{ content: [{ type: "output_text", text: TEXT }] }] } }), "response.completed"),
    ];
    const out = (await relay([createResponsesWindowStage(windows)], frames)).map((f) => JSON.parse(f.data));
    const deltas = out.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta);
    expect(deltas.join("")).toBe(TEXT.toUpperCase());
    expect(out.find((e) => e.type === "response.output_text.done").text).toBe(TEXT.toUpperCase());
    expect(out.at(-1).response.output[0].content[0].text).toBe(TEXT.toUpperCase());
  });
});

describe("window stages share their parse", () => {
  test("a frame the stage read is not parsed again by whoever reads it after (the usage tap)", async () => {
    const frames = [chat({ role: "assistant", content: "" }), chat({ content: TEXT.slice(0, 30) }), chat({ content: TEXT.slice(30) }), chat({}, "stop")];
    const parse = spyOn(JSON, "parse");
    try {
      const out = await relay([createDeltaWindowStage(upperWindows(16, false).windows)], frames);
      for (const frame of out) expect(frame.object()).not.toBeNull();
      expect(out).toHaveLength(frames.length);
      expect(parse).toHaveBeenCalledTimes(frames.length);
    } finally {
      parse.mockRestore();
    }
  });
});
