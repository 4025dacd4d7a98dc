import * as v from "valibot";
import { GUARDRAIL_NAME_PATTERN } from "../../core/guardrail-policy.ts";
import { parseRfc3339 } from "../../core/rfc3339.ts";
import { HTTP_BASE_URL_RULE, isHttpBaseUrl } from "../../core/service-urls.ts";
import {
  canonicalModes,
  FAILURE_POLICIES,
  GUARDRAIL_ACTIONS,
  GUARDRAIL_MODES,
  type GuardrailMode,
  MAX_GUARDRAIL_TIMEOUT_MS,
  MIN_GUARDRAIL_TIMEOUT_MS,
} from "../../guardrails/catalog.ts";
import type { ExecutionCursor } from "../../store/repos/guardrails-executions.ts";
import { exactObject, jsonRecord, timestampField, uuidField } from "./common-schemas.ts";
import { pageQueryEntries } from "./pagination.ts";
import { WINDOW_CHARS_RULE, windowCharsOf } from "../../guardrails/http/window-config.ts";

/** Absent = unchanged (or the default on create), null = back to the default / cleared. */
const patchable = <S extends v.GenericSchema>(schema: S) => v.optional(v.nullable(schema));

const NAME_RULE = "must be 1-64 lowercase letters, digits or dashes, starting and ending with a letter or digit";
export const guardrailName = v.pipe(v.string(), v.regex(GUARDRAIL_NAME_PATTERN, NAME_RULE));

const MAX_CONFIG_CHARS = 65_536;
// Stored as jsonb; the size cap keeps one catalog row from bloating every key lookup.
const configObject = v.pipe(
  jsonRecord(v.unknown()),
  v.check(
    (value) => JSON.stringify(value).length <= MAX_CONFIG_CHARS,
    `must be at most ${MAX_CONFIG_CHARS} characters of JSON`,
  ),
);
// window_chars sizes an HTTP guardrail's stream windows; the rest of the config is the guardrail's own.
const runtimeConfig = v.pipe(
  configObject,
  v.check((value) => !Object.hasOwn(value, "window_chars") || windowCharsOf(value) !== null, `window_chars ${WINDOW_CHARS_RULE}`),
);
const description = v.pipe(v.string(), v.trim(), v.maxLength(1000, "must be at most 1000 characters"));
const modes = v.pipe(
  v.array(v.picklist(GUARDRAIL_MODES, `must be one of ${GUARDRAIL_MODES.join(", ")}`)),
  v.minLength(1, "must list at least one mode"),
  v.transform((list: GuardrailMode[]) => canonicalModes(list)),
);
const endpointUrl = v.pipe(v.string(), v.trim(), v.check(isHttpBaseUrl, HTTP_BASE_URL_RULE));
const TIMEOUT_RULE = `must be an integer from ${MIN_GUARDRAIL_TIMEOUT_MS} to ${MAX_GUARDRAIL_TIMEOUT_MS}`;
const timeoutMs = v.pipe(
  v.number(),
  v.integer(TIMEOUT_RULE),
  v.minValue(MIN_GUARDRAIL_TIMEOUT_MS, TIMEOUT_RULE),
  v.maxValue(MAX_GUARDRAIL_TIMEOUT_MS, TIMEOUT_RULE),
);
// Write-only: checked for presence, never echoed.
const bearerToken = v.pipe(
  v.string(),
  v.check((text) => text.trim() !== "", "must not be blank (null removes it)"),
  v.maxLength(8192, "must be at most 8192 characters"),
);

export const createGuardrailBody = exactObject({
  name: guardrailName,
  provider_kind: v.optional(v.literal("http", "must be http: built-in guardrails cannot be created")),
  description: patchable(description),
  modes,
  failure_policy: patchable(v.picklist(FAILURE_POLICIES)),
  enabled: v.optional(v.boolean()),
  default_on: v.optional(v.boolean()),
  config_schema: patchable(configObject),
  runtime_config: patchable(runtimeConfig),
  endpoint_url: endpointUrl,
  timeout_ms: patchable(timeoutMs),
  bearer_token: patchable(bearerToken),
});

/**
 * `name` and `provider_kind` are accepted here only to be refused by name with a reason
 * (see patchProblem); `endpoint_url: null` is refused there too (HTTP guardrails need one).
 */
export const updateGuardrailBody = exactObject({
  name: v.optional(v.unknown()),
  provider_kind: v.optional(v.unknown()),
  description: patchable(description),
  modes: v.optional(modes),
  failure_policy: patchable(v.picklist(FAILURE_POLICIES)),
  enabled: v.optional(v.boolean()),
  default_on: v.optional(v.boolean()),
  config_schema: patchable(configObject),
  runtime_config: patchable(runtimeConfig),
  endpoint_url: patchable(endpointUrl),
  timeout_ms: patchable(timeoutMs),
  bearer_token: patchable(bearerToken),
});

export type CreateGuardrailBody = v.InferOutput<typeof createGuardrailBody>;
export type UpdateGuardrailBody = v.InferOutput<typeof updateGuardrailBody>;

const nameCursor = v.pipe(
  v.string(),
  v.transform((cursor) => Buffer.from(cursor, "base64url").toString("utf8")),
  v.regex(GUARDRAIL_NAME_PATTERN, "is not a cursor this list returned"),
);

export const encodeNameCursor = (name: string) => Buffer.from(name, "utf8").toString("base64url");

export const listGuardrailsQuery = exactObject({ limit: pageQueryEntries.limit, cursor: v.optional(nameCursor) });

const PRECISE_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Opaque to clients: base64url of `[created_at µs, id]`, the last event of the previous page. */
export const encodeExecutionCursor = (cursor: ExecutionCursor) =>
  Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString("base64url");

export function decodeExecutionCursor(text: string): ExecutionCursor | null {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    if (!Array.isArray(decoded) || decoded.length !== 2) return null;
    const [createdAt, id] = decoded as unknown[];
    if (typeof createdAt !== "string" || !PRECISE_UTC.test(createdAt) || parseRfc3339(createdAt) === null) return null;
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) return null;
    return { createdAt, id };
  } catch {
    return null;
  }
}

const executionFilterEntries = {
  guardrail: v.optional(guardrailName),
  mode: v.optional(v.picklist(GUARDRAIL_MODES)),
  action: v.optional(v.picklist(GUARDRAIL_ACTIONS)),
  key_id: v.optional(uuidField),
  from: v.optional(timestampField),
  to: v.optional(timestampField),
};

export const executionsQuery = exactObject({
  ...executionFilterEntries,
  limit: pageQueryEntries.limit,
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.check((text) => decodeExecutionCursor(text) !== null, "is not a cursor this list returned"),
      v.transform((text) => decodeExecutionCursor(text)!),
    ),
  ),
});

export const summaryQuery = exactObject(executionFilterEntries);
