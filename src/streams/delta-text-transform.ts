import { stageTransform, type Emit, type FrameStage } from "./frame-stage.ts";
import {
  contentIn,
  contentInWire,
  contentShape,
  holdsNoText,
  insertContent,
  withContent,
  withContentWire,
  wireShape,
  type ContentShape,
  type WireShape,
} from "./chat-chunk-splice.ts";
import { SseFrame } from "./sse-frame.ts";

/** A text channel a during-call guardrail runs over: text in, safe text out, the rest at the end. */
export interface TextChannel {
  push(delta: string): string;
  flush(): string;
  /** How much text it holds back right now (0: a flush would emit nothing). */
  readonly held: number;
}

type ToolCall = { index?: number; function?: { arguments?: unknown } & Record<string, unknown> } & Record<string, unknown>;
type Delta = { content?: unknown; tool_calls?: ToolCall[] } & Record<string, unknown>;
type Chunk = { choices?: { index?: number; delta?: Delta; finish_reason?: unknown }[] } & Record<string, unknown>;

const DONE = "[DONE]";

const isEmptyObject = (value: unknown): boolean =>
  typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;

/**
 * Chat completion chunks: each choice's `delta.content`, and each of its tool calls'
 * `function.arguments`, goes through its own channel (decoded text, never bytes); frames are
 * rewritten only when their text changed, and what a channel still holds back is released in
 * the choice's finish chunk (arguments in one chunk just before it) — or, for a stream cut
 * short, in synthetic chunks before the end — so nothing is lost and nothing unsafe is emitted
 * early.
 */
export function createDeltaTextTransform(openChannel: () => TextChannel): TransformStream<SseFrame, SseFrame> {
  return stageTransform(createDeltaTextStage(openChannel));
}

/** Channel keys: the choice's content is `index`, a tool call's arguments `index:tool`. */
const argumentsKey = (choice: number, tool: number) => `${choice}:${tool}`;

export function createDeltaTextStage(openChannel: () => TextChannel): FrameStage {
  const channels = new Map<number | string, TextChannel>();
  const toolCalls = new Map<number, Set<number>>(); // choice ⇒ tool call indexes with a channel
  let template: Record<string, unknown> | null = null;
  // How the last parsed one-choice content chunk was written around its content: an upstream
  // writes every such chunk of a stream alike, so the next ones are read without a parse. `wire`:
  // the same as the bytes of a one-line frame (null when it was not one); frames written so are
  // read and rewritten without decoding or re-encoding more than their content.
  let learnt: { shape: ContentShape; wire: WireShape | null; index: number } | null = null;
  const channel = (key: number | string) => {
    let c = channels.get(key);
    if (!c) channels.set(key, (c = openChannel()));
    return c;
  };
  const holding = () => {
    for (const c of channels.values()) if (c.held > 0) return true;
    return false;
  };
  const pushArguments = (choice: number, call: ToolCall) => {
    const args = call.function?.arguments;
    if (typeof args !== "string") return false;
    const tool = typeof call.index === "number" ? call.index : 0;
    let open = toolCalls.get(choice);
    if (!open) toolCalls.set(choice, (open = new Set()));
    open.add(tool);
    const out = channel(argumentsKey(choice, tool)).push(args);
    if (out === args) return false;
    call.function = { ...call.function, arguments: out };
    return true;
  };
  const synthetic = (index: number, delta: Delta) =>
    SseFrame.fromData(JSON.stringify({ ...template, choices: [{ index, delta, finish_reason: null }] }));
  // What a choice's tool-call channels still hold, as tool-call deltas.
  const drainArguments = (index: number): ToolCall[] => {
    const open = toolCalls.get(index);
    const calls: ToolCall[] = [];
    if (!open) return calls;
    toolCalls.delete(index);
    for (const tool of open) {
      const key = argumentsKey(index, tool);
      const rest = channels.get(key)?.flush();
      channels.delete(key);
      if (rest) calls.push({ index: tool, function: { arguments: rest } });
    }
    return calls;
  };
  // The finish chunk carries the rest of each tool call's arguments after its own fragment.
  const mergeArguments = (delta: Delta, rests: ToolCall[]): Delta => {
    const calls = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
    for (const rest of rests) {
      const own = calls.find((call) => (typeof call?.index === "number" ? call.index : 0) === rest.index);
      if (own && typeof own.function?.arguments === "string") own.function.arguments += rest.function!.arguments as string;
      else calls.push(rest);
    }
    return { ...delta, tool_calls: calls };
  };
  const drainAll = (emit: Emit) => {
    for (const index of [...toolCalls.keys()]) {
      const rests = drainArguments(index);
      if (rests.length > 0) emit(synthetic(index, { tool_calls: rests }));
    }
    for (const [index, c] of channels) {
      const rest = c.flush();
      if (rest) emit(synthetic(index as number, { content: rest }));
    }
    channels.clear();
  };
  return {
    frame(frame, emit) {
      const wire = learnt === null ? null : learnt.wire;
      const raw = wire === null ? null : frame.raw;
      const onWire = raw === null ? null : contentInWire(raw, wire!);
      if (onWire !== null) {
        const text = channel(learnt!.index).push(onWire);
        if (text !== onWire) frame.replaceBytes(withContentWire(wire!, text));
        return emit(frame);
      }
      if (frame.data.trim() === DONE) {
        drainAll(emit);
        emit(frame);
        return;
      }
      const data = frame.data;
      const known = learnt && contentIn(data, learnt.shape);
      if (learnt && typeof known === "string") {
        const text = channel(learnt.index).push(known);
        if (text !== known) frame.replaceData(withContent(learnt.shape, text));
        return emit(frame);
      }
      // No text in it and none held (so a finish chunk releases nothing): nothing to parse.
      if (holdsNoText(data) && !holding()) return emit(frame);
      const chunk = frame.object<Chunk>();
      if (!chunk || !Array.isArray(chunk.choices)) return emit(frame);
      template ??= { id: chunk.id, object: chunk.object, created: chunk.created, model: chunk.model };
      let changed = false;
      // The one content value that changed (or was added to an empty delta), while nothing else
      // did: spliced into the data as the upstream wrote it.
      let edit: { old: string | null; next: string } | null = null;
      let other = false;
      let plain: { content: string; index: number } | null = null; // one choice, content only
      for (const choice of chunk.choices) {
        const index = typeof choice.index === "number" ? choice.index : 0;
        const content = choice.delta?.content;
        const emptyDelta = isEmptyObject(choice.delta);
        let text = typeof content === "string" ? channel(index).push(content) : null;
        const calls = choice.delta?.tool_calls;
        if (typeof content === "string" && chunk.choices.length === 1 && !Array.isArray(calls) && !choice.finish_reason) plain = { content, index };
        if (Array.isArray(calls)) for (const call of calls) if (call && pushArguments(index, call)) changed = other = true;
        if (choice.finish_reason) {
          const rests = drainArguments(index);
          if (rests.length > 0) {
            choice.delta = mergeArguments(choice.delta ?? {}, rests);
            changed = other = true;
          }
          const rest = channels.get(index)?.flush() ?? "";
          channels.delete(index);
          if (rest !== "" || text !== null) text = (text ?? "") + rest;
        }
        if (text !== null && text !== content) {
          if (edit === null && (typeof content === "string" || emptyDelta)) edit = { old: typeof content === "string" ? content : null, next: text };
          else other = true;
          choice.delta = { ...choice.delta, content: text };
          changed = true;
        }
      }
      // The shape of a plain chunk is learnt once and, when its content changed, spliced into.
      const shape = plain && contentShape(data, plain.content);
      if (plain) learnt = shape && { shape, wire: frame.raw && wireShape(shape, frame.raw, plain.content), index: plain.index };
      if (changed) {
        let spliced: string | null = null;
        if (edit && !other && edit.old === null) spliced = insertContent(data, edit.next);
        else if (edit && !other) {
          const around = plain ? shape : contentShape(data, edit.old!);
          spliced = around && withContent(around, edit.next);
        }
        frame.replaceData(spliced ?? JSON.stringify(chunk), chunk);
      }
      emit(frame);
    },
    end: drainAll,
  };
}
