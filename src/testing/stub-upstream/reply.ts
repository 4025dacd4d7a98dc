/** What an endpoint answers, before delays, stalls and drops are applied. */
export type Reply = JsonReply | EventStreamReply;

export interface JsonReply {
  kind: "json";
  status: number;
  body: unknown;
}

/** SSE frames; frames [contentStart, contentStart + contentCount) carry content and are paced. */
export interface EventStreamReply {
  kind: "sse";
  frames: string[];
  contentStart: number;
  contentCount: number;
}

export function jsonReply(body: unknown, status = 200): JsonReply {
  return { kind: "json", status, body };
}

/** `data:` frame; `event:` line only when named (the Responses API names its events). */
export function sseFrame(data: unknown, event?: string): string {
  const json = typeof data === "string" ? data : JSON.stringify(data);
  return event === undefined ? `data: ${json}\n\n` : `event: ${event}\ndata: ${json}\n\n`;
}

const ERROR_TYPES: Readonly<Record<number, string>> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  409: "conflict_error",
  422: "invalid_request_error",
  429: "rate_limit_error",
};

function errorType(status: number): string {
  return ERROR_TYPES[status] ?? (status >= 500 ? "server_error" : "invalid_request_error");
}

/** The OpenAI error envelope. */
export function errorReply(status: number, message: string, code: string): JsonReply {
  return jsonReply({ error: { message, type: errorType(status), param: null, code } }, status);
}

/** Token usage in chat/embeddings form; `cost` only when the stub reports one. */
export function chatUsage(promptTokens: number, completionTokens: number | null, cost: number | null) {
  return {
    prompt_tokens: promptTokens,
    ...(completionTokens !== null && { completion_tokens: completionTokens }),
    total_tokens: promptTokens + (completionTokens ?? 0),
    ...(cost !== null && { cost }),
  };
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
