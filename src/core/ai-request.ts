import { skipJsonSpace } from "../streams/bytes.ts";

/** What policy and accounting need from an OpenAI-style JSON request body, read once. */
export interface AiRequestFacts {
  model: string | null;
  stream: boolean;
  usesTools: boolean;
  /** `stream_options.include_usage` as the client sent it. */
  includeUsage: boolean;
  /** `max_tokens` / `max_completion_tokens` / `max_output_tokens`, when given. */
  maxTokens: number | null;
}

const nonEmpty = (value: unknown) =>
  value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);

export function inspectAiRequest(body: Record<string, unknown>): AiRequestFacts {
  const streamOptions = body.stream_options;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? body.max_output_tokens;
  return {
    model: typeof body.model === "string" ? body.model : null,
    stream: body.stream === true,
    usesTools: nonEmpty(body.tools) || nonEmpty(body.functions) || nonEmpty(body.tool_choice) || nonEmpty(body.function_call),
    includeUsage:
      typeof streamOptions === "object" && streamOptions !== null &&
      (streamOptions as Record<string, unknown>).include_usage === true,
    maxTokens: typeof maxTokens === "number" && Number.isFinite(maxTokens) ? maxTokens : null,
  };
}

const encoder = new TextEncoder();
const INCLUDE_USAGE = encoder.encode('"stream_options":{"include_usage":true},');
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The body with `stream_options.include_usage: true`, so the gateway always learns a chat
 * stream's usage. When the client sent no `stream_options` the original bytes are kept and the
 * member is spliced in after the opening brace (no re-serialisation); otherwise re-serialised.
 */
export function withIncludeUsage(raw: Uint8Array, body: Record<string, unknown>): Uint8Array {
  if (body.stream_options === undefined) {
    const brace = raw.indexOf(OPEN_BRACE);
    // Splicing needs a member after the brace (a stream request has at least `stream`).
    if (brace !== -1 && raw[skipJsonSpace(raw, brace + 1)] !== CLOSE_BRACE) {
      const out = new Uint8Array(raw.length + INCLUDE_USAGE.length);
      out.set(raw.subarray(0, brace + 1), 0);
      out.set(INCLUDE_USAGE, brace + 1);
      out.set(raw.subarray(brace + 1), brace + 1 + INCLUDE_USAGE.length);
      return out;
    }
  }
  const streamOptions = typeof body.stream_options === "object" && body.stream_options !== null ? body.stream_options : {};
  return encoder.encode(JSON.stringify({ ...body, stream_options: { ...streamOptions, include_usage: true } }));
}
