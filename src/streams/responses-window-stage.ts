import type { FrameStage } from "./frame-stage.ts";
import { SseFrame } from "./sse-frame.ts";
import { createWindowBuffer, then } from "./text-windows.ts";
import type { TextWindows } from "./text-windows.ts";

type Json = Record<string, any>;

const DELTA = "response.output_text.delta";

/**
 * Responses API streams under a window guardrail: each output text part
 * (`output_index:content_index`) is a channel cut into windows. `output_text.delta` events are
 * absorbed and the text comes out, as answered, in one delta per window; `output_text.done` ends
 * the channel (final window). The events that repeat the whole text (`output_text.done`,
 * `content_part.done`, `output_item.done`, `response.completed` / `incomplete`) carry the
 * released text, so a modified window is modified there too. Any other event waits until the
 * text before it is answered. In a dry run every event passes untouched.
 */
export function createResponsesWindowStage(windows: TextWindows): FrameStage {
  const buffer = createWindowBuffer<string, Json>(windows, (base, _key, text) => SseFrame.fromData(JSON.stringify({ ...base, delta: text }), DELTA));
  const replace = (key: string, part: Json | undefined, field: "text") => {
    const released = buffer.released(key);
    if (windows.holds && released !== undefined && part && typeof part[field] === "string") part[field] = released;
  };
  const fixParts = (outputIndex: unknown, content: unknown) => {
    if (!Array.isArray(content)) return;
    content.forEach((part, j) => replace(`${outputIndex ?? 0}:${j}`, part, "text"));
  };
  const emitFixed = (frame: SseFrame, event: Json, emit: (f: SseFrame) => void) => {
    if (windows.holds) frame.replaceData(JSON.stringify(event), event);
    emit(frame);
  };
  return {
    frame(frame, emit) {
      const event = frame.object<Json>();
      if (!event) return then(buffer.checkHeld(emit), () => emit(frame));
      const key = `${event.output_index ?? 0}:${event.content_index ?? 0}`;
      switch (event.type) {
        case DELTA:
          if (typeof event.delta !== "string") break;
          buffer.add(key, event.delta, event);
          if (!windows.holds) emit(frame);
          return buffer.checkFull(emit);
        case "response.output_text.done":
          return then(buffer.finish(emit, [key]), () => {
            replace(key, event, "text");
            emitFixed(frame, event, emit);
          });
        case "response.content_part.done":
          replace(key, event.part, "text");
          return then(buffer.checkHeld(emit), () => emitFixed(frame, event, emit));
        case "response.output_item.done":
          fixParts(event.output_index, event.item?.content);
          return then(buffer.checkHeld(emit), () => emitFixed(frame, event, emit));
        case "response.completed":
        case "response.incomplete":
          return then(buffer.finish(emit), () => {
            (event.response?.output ?? []).forEach((item: Json, i: number) => fixParts(i, item?.content));
            emitFixed(frame, event, emit);
          });
      }
      return then(buffer.checkHeld(emit), () => emit(frame));
    },
    end: (emit) => then(buffer.finish(emit), () => windows.end()),
    cancel: () => windows.cancel(),
  };
}
