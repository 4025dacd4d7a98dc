import { stageTransform, type Emit, type FrameStage } from "./frame-stage.ts";
import { SseFrame } from "./sse-frame.ts";

/** A text channel a during-call guardrail runs over: text in, safe text out, the rest at the end. */
export interface TextChannel {
  push(delta: string): string;
  flush(): string;
}

type Chunk = { choices?: { index?: number; delta?: { content?: unknown }; finish_reason?: unknown }[] } & Record<string, unknown>;

const DONE = "[DONE]";

function parseChunk(frame: SseFrame): Chunk | null {
  const data = frame.data;
  if (!data.startsWith("{")) return null;
  try {
    return JSON.parse(data) as Chunk;
  } catch {
    return null;
  }
}

/**
 * Chat completion chunks: each choice's `delta.content` goes through its own channel (decoded
 * text, never bytes), frames are rewritten only when their text changed, and what a channel
 * still holds back is released in the choice's finish chunk — or, for a stream cut short, in one
 * synthetic chunk before the end — so nothing is lost and nothing unsafe is emitted early.
 */
export function createDeltaTextTransform(openChannel: () => TextChannel): TransformStream<SseFrame, SseFrame> {
  return stageTransform(createDeltaTextStage(openChannel));
}

export function createDeltaTextStage(openChannel: () => TextChannel): FrameStage {
  const channels = new Map<number, TextChannel>();
  let template: Record<string, unknown> | null = null;
  const channel = (index: number) => {
    let c = channels.get(index);
    if (!c) channels.set(index, (c = openChannel()));
    return c;
  };
  const drainAll = (emit: Emit) => {
    for (const [index, c] of channels) {
      const rest = c.flush();
      if (rest) {
        const chunk = { ...template, choices: [{ index, delta: { content: rest }, finish_reason: null }] };
        emit(SseFrame.fromData(JSON.stringify(chunk)));
      }
    }
    channels.clear();
  };
  return {
    frame(frame, emit) {
      if (frame.data.trim() === DONE) {
        drainAll(emit);
        emit(frame);
        return;
      }
      const chunk = parseChunk(frame);
      if (!chunk || !Array.isArray(chunk.choices)) return emit(frame);
      template ??= { id: chunk.id, object: chunk.object, created: chunk.created, model: chunk.model };
      let changed = false;
      for (const choice of chunk.choices) {
        const index = typeof choice.index === "number" ? choice.index : 0;
        const content = choice.delta?.content;
        let text = typeof content === "string" ? channel(index).push(content) : null;
        if (choice.finish_reason) {
          text = (text ?? "") + channel(index).flush();
          channels.delete(index);
        }
        if (text !== null && text !== content) {
          choice.delta = { ...choice.delta, content: text };
          changed = true;
        }
      }
      if (changed) frame.replaceData(JSON.stringify(chunk));
      emit(frame);
    },
    end: drainAll,
  };
}
