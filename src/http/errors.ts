import { ERROR_CODES, type ErrorCode } from "./error-codes.ts";

export interface GatewayErrorOptions {
  /** Replaces the fixed message; must be written by us (e.g. naming a field), never echo input. */
  message?: string;
  retryAfterSeconds?: number;
  /** Extra response headers (e.g. `allow`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** Thrown anywhere below the HTTP layer; rendered only by the app's onError. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, options: GatewayErrorOptions = {}) {
    super(options.message ?? ERROR_CODES[code].message, { cause: options.cause });
    this.name = "GatewayError";
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers;
  }
}

/** The one error envelope (contract 3). */
export function errorResponse(
  code: ErrorCode,
  requestId: string,
  options: Omit<GatewayErrorOptions, "cause"> = {},
): Response {
  const spec = ERROR_CODES[code];
  const error: Record<string, unknown> = {
    code,
    type: spec.type,
    message: options.message ?? spec.message,
    request_id: requestId,
  };
  const headers = new Headers({ "content-type": "application/json", "x-request-id": requestId });
  if (options.retryAfterSeconds !== undefined) {
    const seconds = Math.max(1, Math.ceil(options.retryAfterSeconds));
    error.retry_after_seconds = seconds;
    headers.set("retry-after", String(seconds));
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
  return new Response(JSON.stringify({ error }), { status: spec.status, headers });
}

export function gatewayErrorResponse(err: GatewayError, requestId: string): Response {
  return errorResponse(err.code, requestId, {
    message: err.message,
    retryAfterSeconds: err.retryAfterSeconds,
    headers: err.headers,
  });
}
