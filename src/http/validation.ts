import type { Context } from "hono";
import * as v from "valibot";
import type { ErrorCode } from "./error-codes.ts";
import { GatewayError } from "./errors.ts";

/** "field `policy.rpm_limit`: must be a positive integer" — names the field, never echoes the value. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const first = issues[0];
  if (!first) return "The payload is invalid.";
  const path = v.getDotPath(first);
  const where = path ? `field \`${path}\`` : "payload";
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return `Invalid ${where}: ${first.message}${more}.`;
}

export function parseWith<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  code: ErrorCode = "invalid_admin_payload",
): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (!result.success) throw new GatewayError(code, { message: describeIssues(result.issues) });
  return result.output;
}

/** Reads and validates an admin JSON body; malformed JSON and schema failures share one envelope. */
export async function readJsonBody<S extends v.GenericSchema>(
  c: Context,
  schema: S,
  code: ErrorCode = "invalid_admin_payload",
): Promise<v.InferOutput<S>> {
  let body: unknown;
  try {
    const text = await c.req.text();
    body = text.trim() === "" ? undefined : JSON.parse(text);
  } catch {
    throw new GatewayError(code, { message: "The request body is not valid JSON." });
  }
  return parseWith(schema, body, code);
}

/** Validates the query string (single values) of an admin request. */
export function readQuery<S extends v.GenericSchema>(
  c: Context,
  schema: S,
  code: ErrorCode = "invalid_admin_payload",
): v.InferOutput<S> {
  return parseWith(schema, c.req.query(), code);
}
