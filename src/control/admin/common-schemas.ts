import type { Context } from "hono";
import * as v from "valibot";
import { parseRfc3339 } from "../../core/rfc3339.ts";
import type { ErrorCode } from "../../http/error-codes.ts";
import { GatewayError } from "../../http/errors.ts";
import { readQuery } from "../../http/validation.ts";
import { SERVICE_NAME_PATTERN } from "../../store/schema.ts";

const KINDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  Array: "an array",
  Object: "a JSON object",
};

/**
 * Messages that state the rule and never echo the input: valibot's defaults print what was
 * received, which may be a credential sent in the wrong field.
 */
export function safeMessage(issue: v.BaseIssue<unknown>): string {
  if (issue.type === "strict_object" && issue.expected === "never") return "is not a known field";
  if (issue.type === "strict_object" && issue.input === undefined && issue.expected !== "Object") return "is required";
  if (issue.type === "picklist") return `must be one of ${issue.expected}`;
  if (issue.kind === "schema") return `must be ${KINDS[issue.expected ?? ""] ?? issue.expected}`;
  return "is invalid";
}

const isJsonObject = (input: unknown): boolean => typeof input === "object" && input !== null && !Array.isArray(input);

/**
 * A JSON object with exactly these fields: an unknown one (an operator's typo) is rejected
 * by name rather than silently ignored. (A bare strictObject would also accept an array.)
 */
export function strictFields<E extends v.ObjectEntries>(entries: E) {
  return v.pipe(v.custom<Record<string, unknown>>(isJsonObject, "must be a JSON object"), v.strictObject(entries));
}

/** A whole admin body or query: strict fields, and messages that never echo the input. */
export function exactObject<E extends v.ObjectEntries>(entries: E) {
  return v.config(strictFields(entries), { message: safeMessage });
}

/** A JSON object of arbitrary keys whose values `value` checks. */
export function jsonRecord<S extends v.GenericSchema>(value: S) {
  return v.pipe(v.custom<Record<string, unknown>>(isJsonObject, "must be a JSON object"), v.record(v.string(), value));
}

/** The error a handler raises for a rule beyond the schema, in describeIssues' wording. */
export function invalidField(code: ErrorCode, field: string, message: string): GatewayError {
  return new GatewayError(code, { message: `Invalid field \`${field}\`: ${message}.` });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path ids that are not UUIDs name nothing: a 404, not PostgreSQL's uuid parse error. */
export function pathId(c: Context, missing: ErrorCode): string {
  const id = c.req.param("id") ?? "";
  if (!UUID.test(id)) throw new GatewayError(missing);
  return id.toLowerCase();
}

export const uuidField = v.pipe(v.string(), v.regex(UUID, "must be a UUID"), v.toLowerCase());

const unique = <T>(list: T[]): T[] => [...new Set(list)];

/** Service names, deduplicated (links are a set). */
export const serviceNamesField = v.pipe(
  v.array(
    v.pipe(
      v.string(),
      v.regex(new RegExp(SERVICE_NAME_PATTERN), "must be a service name (lowercase letters, digits, dashes)"),
    ),
  ),
  v.maxLength(1000, "must list at most 1000 services"),
  v.transform(unique),
);

/** An RFC 3339 timestamp (with offset) as a Date. */
export const timestampField = v.pipe(
  v.string(),
  v.check((text) => parseRfc3339(text) !== null, "must be an RFC 3339 timestamp with an offset, e.g. 2030-01-31T00:00:00Z"),
  v.transform((text) => parseRfc3339(text)!),
);

const usageQuery = exactObject({ from: v.optional(timestampField), to: v.optional(timestampField) });

/** `from` (inclusive) and `to` (exclusive) of a usage summary. */
export function readUsageRange(c: Context): { from?: Date; to?: Date } {
  return readQuery(c, usageQuery);
}
