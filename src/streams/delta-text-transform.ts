import { stageTransform, type Emit, type FrameStage } from "./frame-stage.ts";
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
const CONTENT_KEY = '"content"';
const TOOL_CALLS_KEY = '"tool_calls"';
const BACKSLASH = "\\";
const COLON = 0x3a;
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * `data` (valid JSON) with its `"content"` value `old` replaced by `next`, without re-serialising
 * the chunk; null unless that is certain: `"content"` occurs once, followed by a colon (so it is
 * a key, and the only one: another key can only spell `content` with an escape), its value is
 * written exactly as JSON.stringify(old), and no backslash appears outside that value.
 */
function replaceContent(data: string, old: string, next: string): string | null {
  const key = data.indexOf(CONTENT_KEY);
  if (key < 0 || data.includes(CONTENT_KEY, key + 1)) return null;
  let at = key + CONTENT_KEY.length;
  while (isSpace(data.charCodeAt(at))) at++;
  if (data.charCodeAt(at++) !== COLON) return null;
  while (isSpace(data.charCodeAt(at))) at++;
  const quoted = JSON.stringify(old);
  if (!data.startsWith(quoted, at)) return null;
  const end = at + quoted.length;
  const backslash = data.indexOf(BACKSLASH);
  if (backslash >= 0 && (backslash < at || data.lastIndexOf(BACKSLASH) >= end)) return null;
  return `${data.slice(0, at)}${JSON.stringify(next)}${data.slice(end)}`;
}

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
      if (frame.data.trim() === DONE) {
        drainAll(emit);
        emit(frame);
        return;
      }
      const data = frame.data;
      // No text in it and none held (so a finish chunk releases nothing): nothing to parse. Without
      // a backslash, a key can only spell `content` or `tool_calls` literally.
      if (!data.includes(CONTENT_KEY) && !data.includes(TOOL_CALLS_KEY) && !data.includes(BACKSLASH) && !holding()) return emit(frame);
      const chunk = parseChunk(frame);
      if (!chunk || !Array.isArray(chunk.choices)) return emit(frame);
      template ??= { id: chunk.id, object: chunk.object, created: chunk.created, model: chunk.model };
      let changed = false;
      // The one content value that changed, while nothing else did: spliced into the data.
      let edit: { old: string; next: string } | null = null;
      let other = false;
      for (const choice of chunk.choices) {
        const index = typeof choice.index === "number" ? choice.index : 0;
        const content = choice.delta?.content;
        let text = typeof content === "string" ? channel(index).push(content) : null;
        const calls = choice.delta?.tool_calls;
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
          if (typeof content === "string" && edit === null) edit = { old: content, next: text };
          else other = true;
          choice.delta = { ...choice.delta, content: text };
          changed = true;
        }
      }
      if (changed) {
        const spliced = edit && !other ? replaceContent(data, edit.old, edit.next) : null;
        frame.replaceData(spliced ?? JSON.stringify(chunk));
      }
      emit(frame);
    },
    end: drainAll,
  };
}
