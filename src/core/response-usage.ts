/** Token usage and reported cost of one upstream answer. */
export interface UsageFacts {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Upstream-reported USD cost, when it reported one. */
  costUsd: number | null;
}

const num = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null);

type Json = Record<string, unknown>;
const isJson = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The `usage` of an answer object (a chat completion or chunk, an embeddings list, a Responses
 * `response`): `prompt_tokens`/`completion_tokens` or `input_tokens`/`output_tokens`. Cost is
 * `usage.cost` (OpenRouter style, LiteLLM passes it on) or LiteLLM's `response_cost` fields
 * beside it. Null when there is no usage object.
 */
export function usageOf(container: Json): UsageFacts | null {
  const u = container.usage;
  if (!isJson(u)) return null;
  const input = num(u.prompt_tokens) ?? num(u.input_tokens) ?? 0;
  const output = num(u.completion_tokens) ?? num(u.output_tokens) ?? 0;
  const hidden = isJson(container._hidden_params) ? container._hidden_params : {};
  return {
    inputTokens: input,
    outputTokens: output,
    totalTokens: num(u.total_tokens) ?? input + output,
    costUsd: num(u.cost) ?? num(container.response_cost) ?? num(container.x_litellm_response_cost) ?? num(hidden.response_cost),
  };
}

/** Index just past the JSON value starting at `start` (an object), honouring strings; -1 if cut. */
function endOfObject(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++;
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b) depth++;
    else if (ch === 0x7d && --depth === 0) return i + 1;
  }
  return -1;
}

function lastMember(text: string, name: string): string | null {
  const at = text.lastIndexOf(`"${name}"`);
  if (at === -1) return null;
  let i = text.indexOf(":", at + name.length + 2);
  if (i === -1) return null;
  while (text[++i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t");
  if (text[i] === "{") {
    const end = endOfObject(text, i);
    return end === -1 ? null : text.slice(i, end);
  }
  const match = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 40));
  return match ? match[0] : null;
}

const FULL_PARSE_LIMIT = 64 * 1024;

/**
 * Usage of a non-streamed JSON answer. Small bodies are parsed; large ones (embeddings answers
 * can be megabytes of floats) are not: the `usage` member comes last in OpenAI answers, so it
 * is found from the end and only that object is parsed.
 */
export function usageFromJsonBody(text: string): UsageFacts | null {
  if (text.length <= FULL_PARSE_LIMIT) {
    try {
      const body: unknown = JSON.parse(text);
      return isJson(body) ? usageOf(body) : null;
    } catch {
      return null;
    }
  }
  const usage = lastMember(text, "usage");
  if (usage === null || !usage.startsWith("{")) return null;
  try {
    const cost = lastMember(text, "response_cost");
    return usageOf({ usage: JSON.parse(usage), response_cost: cost === null ? null : Number(cost) });
  } catch {
    return null;
  }
}
