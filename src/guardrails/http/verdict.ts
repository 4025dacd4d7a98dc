import * as v from "valibot";
import { GUARDRAIL_ACTIONS, type GuardrailAction } from "../catalog.ts";

/** What a remote guardrail decided, after validation and sanitising. */
export interface GuardrailVerdict {
  action: GuardrailAction;
  /** `modify` only: the payload that replaces what was sent (request in pre_call, else response). */
  request?: unknown;
  response?: unknown;
  reason?: string;
  /** Secret-looking keys dropped at every depth. */
  metadata?: Record<string, unknown>;
}

export type PayloadField = "request" | "response";

const MAX_REASON_CHARS = 500;
const SECRET_KEY = /token|secret|password|key|authorization|credential|cookie|session/i;
const MAX_METADATA_DEPTH = 8;

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

// Extra fields are ignored (the protocol may grow); the ones we read must have the right type.
const replySchema = v.object({
  action: v.picklist(GUARDRAIL_ACTIONS),
  request: v.optional(v.unknown()),
  response: v.optional(v.unknown()),
  reason: v.optional(v.nullable(v.string())),
  metadata: v.optional(v.nullable(v.custom<Record<string, unknown>>(isJsonObject))),
});

/** Drops keys that look like they hold a secret, however deep; too deep is dropped whole. */
export function dropSecretKeys(value: unknown, depth = 0): unknown {
  if (Array.isArray(value)) {
    return depth >= MAX_METADATA_DEPTH ? [] : value.map((item) => dropSecretKeys(item, depth + 1));
  }
  if (!isJsonObject(value)) return value;
  if (depth >= MAX_METADATA_DEPTH) return {};
  const kept: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (!SECRET_KEY.test(key)) kept[key] = dropSecretKeys(item, depth + 1);
  }
  return kept;
}

const jsonKind = (value: unknown): string => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value);

/**
 * A reply body ⇒ the verdict, or null when it is not one: wrong shape, or a `modify` that does
 * not carry a replacement of the same JSON kind as what was sent in `field`.
 */
export function parseVerdict(reply: unknown, field: PayloadField, sent: unknown): GuardrailVerdict | null {
  const parsed = v.safeParse(replySchema, reply);
  if (!parsed.success) return null;
  const { action, reason, metadata } = parsed.output;
  const verdict: GuardrailVerdict = { action };
  if (action === "modify") {
    const replacement = parsed.output[field];
    if (replacement === undefined || jsonKind(replacement) !== jsonKind(sent)) return null;
    verdict[field] = replacement;
  }
  if (typeof reason === "string" && reason !== "") verdict.reason = reason.slice(0, MAX_REASON_CHARS);
  if (metadata) verdict.metadata = dropSecretKeys(metadata) as Record<string, unknown>;
  return verdict;
}
