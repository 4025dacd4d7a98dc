import { GatewayError } from "../http/errors.ts";

// Hop-by-hop headers (RFC 9110 §7.6.1) and what the gateway sets itself.
const NOT_FORWARDED = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "proxy-authenticate",
  "host",
  "content-length",
  "accept-encoding",
  // Client credentials never travel upstream (contract 2).
  "authorization",
  "proxy-authorization",
  "x-api-key",
  "x-relayna-worker-token",
  "cookie",
  "traceparent",
  "tracestate",
]);
const NOT_RETURNED = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"];
const NOT_RETURNED_CHANGED = [...NOT_RETURNED, "content-length", "content-encoding"];

export interface UpstreamTarget {
  baseUrl: string;
  serviceKey: string | null;
}

/** `base` + path: a path prefix in the base URL is kept (`http://h/litellm` + `/v1/x`). */
export function upstreamUrl(baseUrl: string, pathAndQuery: string): string {
  return (baseUrl.endsWith("/") ? baseUrl.slice(0, -1) : baseUrl) + pathAndQuery;
}

/**
 * Client headers minus hop-by-hop, credentials and anything `x-relayna-*` (the gateway's own
 * headers are always written by the gateway, never trusted from a client); the caller sets its
 * own on the result.
 */
export function upstreamHeaders(client: Headers): Headers {
  // A native copy, then the few names to drop: cheaper than rebuilding it through a callback.
  const headers = new Headers(client);
  for (const name of client.keys()) if (NOT_FORWARDED.has(name) || name.startsWith("x-relayna-")) headers.delete(name);
  // Ask for identity encoding: bodies are relayed (and inspected) as they are.
  headers.set("accept-encoding", "identity");
  return headers;
}

/**
 * The client's response with the upstream's headers, hop-by-hop ones removed (and the length and
 * encoding when the body changed). The Response copies the headers natively and only names the
 * upstream actually sent are deleted: iterating a Headers object copies and sorts every entry
 * (headers + Response for the bench's answer: 1.17 us through a copied, iterated Headers; 0.68
 * us this way, in process).
 */
export function clientResponse(body: ConstructorParameters<typeof Response>[0], status: number, upstream: Headers, bodyChanged: boolean): Response {
  const response = new Response(body, { status, headers: upstream });
  for (const name of bodyChanged ? NOT_RETURNED_CHANGED : NOT_RETURNED) if (upstream.has(name)) response.headers.delete(name);
  return response;
}

export interface SendOptions {
  url: string;
  method: string;
  headers: Headers;
  body: Uint8Array | null;
  /** Until the upstream's response headers arrive. */
  timeoutMs: number;
  /** The client went away: abort the upstream call (and its body stream). */
  clientSignal: AbortSignal;
}

/**
 * One upstream call. Failures become the contract's codes: no headers in time ⇒ 504
 * upstream_timeout; refused / reset / DNS ⇒ 502 upstream_connection. An upstream that answers
 * (any status) is returned as is. The returned `abort` cancels the call and its body.
 */
export async function sendUpstream(options: SendOptions): Promise<{ response: Response; abort: () => void }> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (options.clientSignal.aborted) abort();
  options.clientSignal.addEventListener("abort", abort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort();
  }, options.timeoutMs);
  try {
    const response = await fetch(options.url, {
      method: options.method,
      headers: options.headers,
      body: options.body,
      signal: controller.signal,
      redirect: "manual",
    });
    return { response, abort };
  } catch (err) {
    if (timedOut) throw new GatewayError("upstream_timeout", { cause: err });
    if (options.clientSignal.aborted) throw new ClientAbortedError();
    throw new GatewayError("upstream_connection", { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/** The client disconnected before the upstream answered. */
export class ClientAbortedError extends Error {
  constructor() {
    super("client disconnected");
    this.name = "ClientAbortedError";
  }
}
