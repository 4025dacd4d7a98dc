import type { GuardrailMode, HttpGuardrailTarget } from "../catalog.ts";
import { parseVerdict, type GuardrailVerdict, type PayloadField } from "./verdict.ts";

export type { GuardrailVerdict } from "./verdict.ts";

/** Who is asking, as the HTTP guardrail protocol carries it (contract 8). */
export interface GuardrailCallContext {
  key_id: string | null;
  project_id: string | null;
  model: string | null;
  route: string;
  provider: string | null;
}

/** One run: the request JSON in pre_call, the response (or a text window) otherwise. */
export type HttpGuardrailCall = {
  requestId: string;
  mode: GuardrailMode;
  context: GuardrailCallContext;
  /** The effective config: runtime_config shallow-merged with the key's override. */
  config: Record<string, unknown>;
} & ({ request: unknown; response?: never } | { response: unknown; request?: never });

/** Why a run produced no verdict; carries no body, header or token. */
export type HttpGuardrailFailure = "timeout" | "connection" | "http_status" | "invalid_reply";

export type HttpGuardrailOutcome =
  | { ok: true; verdict: GuardrailVerdict }
  | { ok: false; failure: HttpGuardrailFailure; status?: number };

export interface HttpGuardrailOptions {
  /** Injected in tests; Bun's fetch keeps connections alive and reuses them per origin. */
  fetch?: typeof fetch;
  /** A reply larger than this is invalid (a modified response can be as large as the response). */
  maxReplyBytes?: number;
  /** Aborts the run (the stream it guards ended); the outcome is then a `connection` failure. */
  signal?: AbortSignal;
}

const DEFAULT_MAX_REPLY_BYTES = 16 * 1024 * 1024;

class ReplyTooLarge extends Error {}

async function readCapped(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new ReplyTooLarge();
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/**
 * POSTs one guardrail run to the guardrail's endpoint and validates the reply. Never throws:
 * every failure is an outcome the caller maps through the guardrail's failure policy. The
 * timeout (`timeoutMs`) covers connecting, waiting and reading the reply.
 */
export async function callHttpGuardrail(
  target: HttpGuardrailTarget,
  call: HttpGuardrailCall,
  options: HttpGuardrailOptions = {},
): Promise<HttpGuardrailOutcome> {
  const field: PayloadField = call.request !== undefined ? "request" : "response";
  const sent = call[field];
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json",
    "x-request-id": call.requestId,
  };
  if (target.bearerToken) headers.authorization = `Bearer ${target.bearerToken}`;
  const body = JSON.stringify({
    request_id: call.requestId,
    guardrail: target.name,
    mode: call.mode,
    context: call.context,
    config: call.config,
    [field]: sent,
  });

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, target.timeoutMs);
  const stop = () => controller.abort();
  options.signal?.addEventListener("abort", stop, { once: true });
  if (options.signal?.aborted) controller.abort();
  try {
    const res = await (options.fetch ?? fetch)(target.endpointUrl, {
      method: "POST",
      headers,
      body,
      signal: controller.signal,
      // A redirect is an answer we do not follow (it could carry the token elsewhere): http_status.
      redirect: "manual",
    });
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      return { ok: false, failure: "http_status", status: res.status };
    }
    const text = await readCapped(res, options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES);
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      return { ok: false, failure: "invalid_reply" };
    }
    const verdict = parseVerdict(reply, field, sent);
    return verdict ? { ok: true, verdict } : { ok: false, failure: "invalid_reply" };
  } catch (err) {
    if (timedOut) return { ok: false, failure: "timeout" };
    if (err instanceof ReplyTooLarge) return { ok: false, failure: "invalid_reply" };
    return { ok: false, failure: "connection" };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", stop);
  }
}
