import type { TextChannel } from "./delta-text-transform.ts";
import { stageTransform, type Emit, type FrameStage } from "./frame-stage.ts";
import { SseFrame } from "./sse-frame.ts";

type Json = Record<string, any>;

const DELTA = "response.output_text.delta";

/**
 * Responses API streams: every `response.output_text.delta` goes through a channel per output
 * text part (decoded text, never bytes); whatever a channel holds back is released as one more
 * delta just before that part's `response.output_text.done`. The events that repeat the whole
 * text (`output_text.done`, `content_part.done`, `output_item.done`, `response.completed` /
 * `incomplete`) get `finalText` applied, so the client never sees the raw text there either.
 */
export function createResponsesTextTransform(
  openChannel: () => TextChannel,
  finalText: (text: string) => string,
): TransformStream<SseFrame, SseFrame> {
  return stageTransform(createResponsesTextStage(openChannel, finalText));
}

export function createResponsesTextStage(openChannel: () => TextChannel, finalText: (text: string) => string): FrameStage {
  const channels = new Map<string, { channel: TextChannel; last: Json }>();
  const release = (key: string, emit: Emit) => {
    const open = channels.get(key);
    if (!open) return;
    channels.delete(key);
    const rest = open.channel.flush();
    if (rest) emit(SseFrame.fromData(JSON.stringify({ ...open.last, delta: rest }), DELTA));
  };
  const fixParts = (content: unknown) => {
    if (!Array.isArray(content)) return;
    for (const part of content) if (part && typeof part.text === "string") part.text = finalText(part.text);
  };
  return {
    frame(frame, emit) {
      const event = frame.object<Json>();
      if (!event) return emit(frame);
      const key = `${event.output_index ?? 0}:${event.content_index ?? 0}`;
      switch (event.type) {
        case DELTA: {
          if (typeof event.delta !== "string") break;
          let open = channels.get(key);
          if (!open) channels.set(key, (open = { channel: openChannel(), last: event }));
          open.last = event;
          event.delta = open.channel.push(event.delta);
          frame.replaceData(JSON.stringify(event), event);
          break;
        }
        case "response.output_text.done":
          release(key, emit);
          if (typeof event.text === "string") event.text = finalText(event.text);
          frame.replaceData(JSON.stringify(event), event);
          break;
        case "response.content_part.done":
          if (typeof event.part?.text === "string") event.part.text = finalText(event.part.text);
          frame.replaceData(JSON.stringify(event), event);
          break;
        case "response.output_item.done":
          fixParts(event.item?.content);
          frame.replaceData(JSON.stringify(event), event);
          break;
        case "response.completed":
        case "response.incomplete":
          for (const item of event.response?.output ?? []) fixParts(item?.content);
          frame.replaceData(JSON.stringify(event), event);
          break;
      }
      emit(frame);
    },
    end(emit) {
      for (const key of [...channels.keys()]) release(key, emit);
    },
  };
}
