import type { StubBehaviour } from "./behaviour.ts";

const LOREM =
  "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor " +
  "incididunt ut labore et dolore magna aliqua ";

/** What the stub "generates": the chunks of one answer and its token counts. */
export interface Completion {
  chunks: string[];
  text: string;
  promptTokens: number;
  completionTokens: number;
}

/** The stub's only tokenizer: one token per started group of four characters. */
export function countTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

export function loremText(length: number): string {
  return LOREM.repeat(Math.ceil(length / LOREM.length)).slice(0, length);
}

export function splitChunks(text: string, size: number): string[] {
  const chunks: string[] = [];
  for (let at = 0; at < text.length; at += size) chunks.push(text.slice(at, at + size));
  return chunks;
}

/** Lorem: `chunkCount` chunks of `chunkSize` characters; echo: the prompt cut every `chunkSize` characters. */
export function createCompletion(behaviour: StubBehaviour, prompt: Prompt): Completion {
  const text = behaviour.echo ? prompt.echo : loremText(behaviour.chunkCount * behaviour.chunkSize);
  return {
    chunks: splitChunks(text, behaviour.chunkSize),
    text,
    promptTokens: countTokens(prompt.chars),
    completionTokens: countTokens(text.length),
  };
}

/** `chars`: all prompt text (counted for tokens); `echo`: the text echo mode answers with. */
export interface Prompt {
  chars: number;
  echo: string;
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Text of a message `content`: a string, or the `text` of each part (text, input_text, output_text). */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const texts: string[] = [];
  for (const part of content) {
    if (isObject(part) && typeof part.text === "string") texts.push(part.text);
  }
  return texts.join("\n");
}

function promptOfMessages(messages: unknown, extra: string): Prompt {
  let chars = extra.length;
  let echo = "";
  if (Array.isArray(messages)) {
    for (const message of messages) {
      if (!isObject(message)) continue;
      const text = textOf(message.content);
      chars += text.length;
      if (message.role === "user") echo = text;
    }
  }
  return { chars, echo };
}

/** Chat completions: every message counts; echo uses the last user message. */
export function chatPrompt(body: JsonObject): Prompt {
  return promptOfMessages(body.messages, "");
}

/** Responses: `input` (string or items) plus `instructions`; echo uses the string input or the last user item. */
export function responsesPrompt(body: JsonObject): Prompt {
  const instructions = typeof body.instructions === "string" ? body.instructions : "";
  if (typeof body.input === "string") {
    return { chars: instructions.length + body.input.length, echo: body.input };
  }
  return promptOfMessages(body.input, instructions);
}

/** Embedding inputs as strings; token-id arrays become their ids joined by spaces. */
export function embeddingInputs(input: unknown): string[] {
  if (typeof input === "string") return [input];
  if (!Array.isArray(input)) return [];
  if (input.every((item) => typeof item === "number")) return [input.join(" ")];
  return input.map((item) => (Array.isArray(item) ? item.join(" ") : String(item)));
}

export const EMBEDDING_DIMENSIONS = 8;

/** Eight values in [-1, 1) derived from the text (FNV-1a + xorshift), exact in float32. */
export function embedText(text: string): number[] {
  let state = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    state = Math.imul(state ^ text.charCodeAt(i), 0x01000193) >>> 0;
  }
  state ||= 1; // xorshift never leaves zero
  const vector: number[] = [];
  for (let i = 0; i < EMBEDDING_DIMENSIONS; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    vector.push(((state % 2048) - 1024) / 1024);
  }
  return vector;
}

/** The OpenAI `encoding_format: "base64"` form: little-endian float32 bytes. */
export function embeddingToBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}
