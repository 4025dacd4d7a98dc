import { and, asc, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db.ts";
import { usageEvents } from "../schema.ts";
import { cursorTimestamp } from "./keyset.ts";
import { usageConditions, type UsageFilter } from "./usage-summary.ts";

const c = usageEvents;

/**
 * A position in the ledger's export order (created_at, id). Neither alone is unique once the
 * table is partitioned (its key is (created_at, id)); the pair is. created_at is carried at
 * PostgreSQL's microsecond precision, the id as decimal text (bigint).
 */
export interface LedgerPosition {
  createdAt: string;
  id: string;
}

/** One exported row, contract 5 ledger fields; numbers as numbers, created_at exact (µs). */
export interface UsageExportRow {
  id: number;
  request_id: string;
  created_at: string;
  key_id: string | null;
  project_id: string | null;
  route: string;
  model: string | null;
  provider: string | null;
  service_name: string | null;
  task_id: string | null;
  run_id: string | null;
  status: string;
  status_code: number;
  error_code: string | null;
  stream: boolean;
  latency_ms: number;
  first_token_ms: number | null;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  estimated_cost_usd: number;
  fallback_count: number;
  guardrails: string[];
}

const exportFields = {
  id: sql<number>`${c.id}`.mapWith(Number),
  request_id: c.requestId,
  created_at: cursorTimestamp(c.createdAt),
  key_id: c.keyId,
  project_id: c.projectId,
  route: c.route,
  model: c.model,
  provider: c.provider,
  service_name: c.serviceName,
  task_id: c.taskId,
  run_id: c.runId,
  status: c.status,
  status_code: c.statusCode,
  error_code: c.errorCode,
  stream: c.stream,
  latency_ms: c.latencyMs,
  first_token_ms: c.firstTokenMs,
  input_tokens: c.inputTokens,
  output_tokens: c.outputTokens,
  total_tokens: c.totalTokens,
  // trim_scale: 0.1, not 0.10000000 (numeric(18, 8)); exact text, then a JSON number.
  estimated_cost_usd: sql<number>`trim_scale(${c.estimatedCostUsd})::text`.mapWith(Number),
  fallback_count: c.fallbackCount,
  guardrails: c.guardrails,
};

// The lone created_at bound lets the planner use created_at as an index condition; the row
// comparison then settles ties within one timestamp.
function after(position: LedgerPosition | null): SQL | undefined {
  if (!position) return undefined;
  const at = sql`${position.createdAt}::timestamptz`;
  return sql`${c.createdAt} >= ${at} and (${c.createdAt}, ${c.id}) > (${at}, ${position.id}::bigint)`;
}

function atOrBefore(position: LedgerPosition | null): SQL | undefined {
  if (!position) return undefined;
  const at = sql`${position.createdAt}::timestamptz`;
  return sql`${c.createdAt} <= ${at} and (${c.createdAt}, ${c.id}) <= (${at}, ${position.id}::bigint)`;
}

export interface ExportRange {
  filter: UsageFilter;
  /** Exclusive lower bound (the cursor the client sent). */
  after: LedgerPosition | null;
  /** Inclusive upper bound (the end of a page), null = to the end. */
  until: LedgerPosition | null;
}

const conditions = (range: ExportRange) =>
  and(usageConditions(range.filter), after(range.after), atOrBefore(range.until));

/** Up to `limit` rows of the range in (created_at, id) order; unexecuted (the plan tests EXPLAIN it). */
export const usageRowsQuery = (db: Db, range: ExportRange, limit: number) =>
  db.select(exportFields).from(c).where(conditions(range)).orderBy(asc(c.createdAt), asc(c.id)).limit(limit);

export async function readUsageRows(db: Db, range: ExportRange, limit: number): Promise<UsageExportRow[]> {
  return (await usageRowsQuery(db, range, limit)) as UsageExportRow[];
}

/**
 * Where a page of `limit` rows after `range.after` ends: its last row when more rows follow
 * (the next page's cursor), else null. Walks index entries only as far as the page goes.
 */
export async function findPageEnd(db: Db, range: ExportRange, limit: number): Promise<LedgerPosition | null> {
  const rows = await db
    .select({ createdAt: cursorTimestamp(c.createdAt), id: sql<string>`${c.id}::text` })
    .from(c)
    .where(conditions(range))
    .orderBy(asc(c.createdAt), asc(c.id))
    .offset(limit - 1)
    .limit(2);
  return rows.length === 2 ? rows[0]! : null;
}

/**
 * The range's rows in chunks, each read only when the previous one was consumed: memory stays
 * at one chunk however long the range, and returning early (a cancelled download) stops the
 * queries.
 */
export async function* readUsageChunks(
  db: Db,
  range: ExportRange,
  chunkSize: number,
): AsyncGenerator<UsageExportRow[]> {
  let position = range.after;
  for (;;) {
    const rows = await readUsageRows(db, { ...range, after: position }, chunkSize);
    if (rows.length > 0) yield rows;
    if (rows.length < chunkSize) return;
    const last = rows[rows.length - 1]!;
    position = { createdAt: last.created_at, id: String(last.id) };
  }
}
