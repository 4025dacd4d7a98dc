import * as v from "valibot";
import { parseRfc3339 } from "../../core/rfc3339.ts";
import type { GroupCursor, UsageDimension } from "../../store/repos/usage-groups.ts";
import type { LedgerPosition } from "../../store/repos/usage-export.ts";
import type { UsageFilter } from "../../store/repos/usage-summary.ts";
import { SERVICE_NAME_PATTERN } from "../../store/schema.ts";
import { invalidField, timestampField, uuidField } from "./common-schemas.ts";
import { limitField } from "./pagination.ts";

const text = (max: number) =>
  v.pipe(v.string(), v.minLength(1, "must not be empty"), v.maxLength(max, `must be at most ${max} characters`));

/** Task ids are free text chosen by callers, kept to characters safe in a path and a log. */
export const TASK_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const TASK_ID_RULE = "must be 1-128 characters of A-Z a-z 0-9 . _ : -";
export const taskIdField = v.pipe(v.string(), v.regex(TASK_ID, TASK_ID_RULE));

/** Contract 6 usage filters, as query fields; spread into each endpoint's query schema. */
export const usageFilterEntries = {
  from: v.optional(timestampField),
  to: v.optional(timestampField),
  project_id: v.optional(uuidField),
  key_id: v.optional(uuidField),
  route: v.optional(text(256)),
  provider: v.optional(text(128)),
  service: v.optional(v.pipe(v.string(), v.regex(new RegExp(SERVICE_NAME_PATTERN), "must be a service name"))),
  model: v.optional(text(256)),
  task_id: v.optional(taskIdField),
  status: v.optional(v.picklist(["success", "failure"])),
};

type FilterQuery = { [K in keyof typeof usageFilterEntries]?: v.InferOutput<(typeof usageFilterEntries)[K]> };

/** Query fields to the repository's filter; `to` must come after `from`. */
export function usageFilterOf(query: FilterQuery): UsageFilter {
  if (query.from && query.to && query.to <= query.from) {
    throw invalidField("invalid_admin_payload", "to", "must be later than `from`");
  }
  return {
    from: query.from,
    to: query.to,
    projectId: query.project_id,
    keyId: query.key_id,
    route: query.route,
    provider: query.provider,
    serviceName: query.service,
    model: query.model,
    taskId: query.task_id,
    status: query.status,
  };
}

const encode = (value: unknown[]) => Buffer.from(JSON.stringify(value)).toString("base64url");

function decode(textValue: string): unknown[] | null {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(textValue, "base64url").toString("utf8"));
    return Array.isArray(decoded) ? decoded : null;
  } catch {
    return null;
  }
}

const EXACT_COST = /^\d{1,20}(\.\d{1,20})?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque by-* cursor: base64url of `[dimension, exact cost, group value]`; another breakdown's cursor is refused. */
export function encodeGroupCursor(dimension: UsageDimension, cursor: GroupCursor): string {
  return encode([dimension, cursor.cost, cursor.value]);
}

export function decodeGroupCursor(dimension: UsageDimension, uuid: boolean, textValue: string): GroupCursor | null {
  const decoded = decode(textValue);
  if (!decoded || decoded.length !== 3 || decoded[0] !== dimension) return null;
  const [, cost, value] = decoded;
  if (typeof cost !== "string" || !EXACT_COST.test(cost)) return null;
  if (value !== null && (typeof value !== "string" || value.length > 256 || (uuid && !UUID.test(value)))) return null;
  return { cost, value };
}

const MICROS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Opaque export cursor: base64url of `["ledger", created_at µs, id]`, the last row already sent. */
export function encodeLedgerCursor(position: LedgerPosition): string {
  return encode(["ledger", position.createdAt, position.id]);
}

export function decodeLedgerCursor(textValue: string): LedgerPosition | null {
  const decoded = decode(textValue);
  if (!decoded || decoded.length !== 3 || decoded[0] !== "ledger") return null;
  const [, createdAt, id] = decoded;
  if (typeof createdAt !== "string" || !MICROS_UTC.test(createdAt) || parseRfc3339(createdAt) === null) return null;
  if (typeof id !== "string" || !/^\d{1,19}$/.test(id)) return null;
  return { createdAt, id };
}

export const MAX_EXPORT_PAGE = 100_000;

/** Export paging: without `limit` an export is every matching row after `cursor`. */
export const exportPageEntries = {
  limit: limitField(MAX_EXPORT_PAGE),
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.check((value) => decodeLedgerCursor(value) !== null, "is not a cursor this export returned"),
      v.transform((value) => decodeLedgerCursor(value)!),
    ),
  ),
};
