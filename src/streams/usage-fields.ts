/** Pure readers of the OpenAI-shaped JSON the usage tap parses. */
import { usageOf, type UsageFacts } from "../core/response-usage.ts";

export type Json = Record<string, unknown>;

export type StreamUsage = UsageFacts;

const isJson = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const nonEmpty = (value: unknown) =>
  (typeof value === "string" && value !== "") || (Array.isArray(value) && value.length > 0);

/** A chat chunk carries generated output: non-empty content, tool calls or refusal. */
export function readChatOutput(chunk: Json): boolean {
  if (!Array.isArray(chunk.choices)) return false;
  return chunk.choices.some((choice: unknown) => {
    const delta = isJson(choice) ? choice.delta : undefined;
    return isJson(delta) && (nonEmpty(delta.content) || nonEmpty(delta.tool_calls) || nonEmpty(delta.refusal));
  });
}

/** `usage` of a `chat.completion.chunk`, or null when it is absent or `null`. */
export function readChatUsage(chunk: Json): StreamUsage | null {
  return usageOf(chunk);
}

/** `usage` of the `response` object of a terminal Responses event. */
export function readResponsesUsage(response: Json): StreamUsage | null {
  return usageOf(response);
}
