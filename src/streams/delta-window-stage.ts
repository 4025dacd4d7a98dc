import type { FrameStage } from "./frame-stage.ts";
import { SseFrame } from "./sse-frame.ts";
import { createWindowBuffer, then, type TextWindows } from "./text-windows.ts";

type Choice = { index?: number; delta?: Record<string, unknown>; finish_reason?: unknown; logprobs?: unknown };
type Chunk = { choices?: Choice[]; usage?: unknown } & Record<string, unknown>;

const DONE = "[DONE]";

/**
 * Chat completion chunks under a window guardrail: each choice's `delta.content` is a channel
 * cut into windows (tool-call arguments are not windowed). Text-only chunks are absorbed and
 * their text comes out, as answered, in one chunk per window (shaped like the last chunk that
 * carried it). A chunk carrying anything else (a first role, tool calls, finish_reason, usage,
 * logprobs) waits until the text before it is answered, then goes out without its text; the text
 * it carried comes after it — or before it, in the channel's final window, when it finishes the
 * choice. In a dry run every chunk passes untouched and the text is only shown to the guardrail.
 */
export function createDeltaWindowStage(windows: TextWindows): FrameStage {
  const roles = new Set<number>(); // choices whose role went out
  // Providers repeat `role` and null fields (`tool_calls: null`…) on every chunk: text all the same.
  const carriesMore = (index: number, rest: Record<string, unknown>) => {
    let more = false;
    for (const key in rest) {
      if (rest[key] === null || (key === "role" && roles.has(index))) continue;
      more = true;
      if (key === "role") roles.add(index);
    }
    return more;
  };
  const buffer = createWindowBuffer<number, Chunk>(windows, (base, index, text) => {
    const chunk: Chunk = { ...base, choices: [{ index, delta: { content: text }, logprobs: null, finish_reason: null }] };
    if (base.usage !== undefined) chunk.usage = null;
    return SseFrame.fromData(JSON.stringify(chunk));
  });
  return {
    frame(frame, emit) {
      const data = frame.data;
      if (data.trim() === DONE) return then(buffer.finish(emit), () => emit(frame));
      const chunk = frame.object<Chunk>();
      if (!chunk || !Array.isArray(chunk.choices)) return then(buffer.checkHeld(emit), () => emit(frame));
      let textOnly = chunk.choices.length > 0 && (chunk.usage === undefined || chunk.usage === null);
      const texts: [number, string][] = [];
      const finishing: number[] = [];
      for (const choice of chunk.choices) {
        const index = typeof choice.index === "number" ? choice.index : 0;
        const { content, ...rest } = choice.delta ?? {};
        if (typeof content === "string" && content !== "") {
          texts.push([index, content]);
          if (windows.holds) choice.delta = rest;
        }
        if (choice.finish_reason) finishing.push(index);
        if (carriesMore(index, rest) || choice.finish_reason || choice.logprobs) textOnly = false;
      }
      const add = () => texts.forEach(([index, text]) => buffer.add(index, text, chunk));
      if (!windows.holds) {
        emit(frame);
        add();
        buffer.checkFull(emit);
        if (finishing.length > 0) buffer.finish(emit, finishing);
        return;
      }
      if (textOnly) {
        add();
        return buffer.checkFull(emit);
      }
      if (texts.length > 0) frame.replaceData(JSON.stringify(chunk), chunk);
      if (finishing.length > 0) {
        add(); // the text a finish chunk carries comes before it, in the channel's final window
        return then(buffer.finish(emit, finishing), () => then(buffer.checkHeld(emit), () => emit(frame)));
      }
      return then(buffer.checkHeld(emit), () => {
        emit(frame);
        add();
        return buffer.checkFull(emit);
      });
    },
    end: (emit) => then(buffer.finish(emit), () => windows.end()),
    cancel: () => windows.cancel(),
  };
}
