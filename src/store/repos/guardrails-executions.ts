import { and, asc, desc, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import type { FailurePolicy, GuardrailAction, GuardrailMode } from "../../guardrails/catalog.ts";
import type { Db } from "../db.ts";
import { guardrailExecutionEvents } from "../schema.ts";
import { cursorTimestamp } from "./keyset.ts";

const e = guardrailExecutionEvents;

export interface ExecutionFilter {
  guardrail?: string;
  mode?: GuardrailMode;
  action?: GuardrailAction;
  keyId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** The last row of a page, newest first: `created_at` at microsecond precision, then the id. */
export interface ExecutionCursor {
  createdAt: string;
  id: number;
}

/** One execution event as the admin API shows it: counts and categories, never content. */
export interface ExecutionView {
  id: number;
  request_id: string;
  key_id: string | null;
  project_id: string | null;
  guardrail: string;
  mode: GuardrailMode;
  action: GuardrailAction;
  failure_policy: FailurePolicy;
  latency_ms: number;
  failed: boolean;
  reason: string | null;
  counts: Record<string, number>;
  created_at: string;
}

export interface ExecutionSummaryRow {
  guardrail: string;
  mode: GuardrailMode;
  action: GuardrailAction;
  count: number;
  failures: number;
  avg_latency_ms: number;
  p95_latency_ms: number;
}

function conditions(filter: ExecutionFilter): SQL | undefined {
  return and(
    filter.guardrail === undefined ? undefined : eq(e.guardrailName, filter.guardrail),
    filter.mode === undefined ? undefined : eq(e.mode, filter.mode),
    filter.action === undefined ? undefined : eq(e.action, filter.action),
    filter.keyId === undefined ? undefined : eq(e.keyId, filter.keyId),
    filter.from === undefined ? undefined : gte(e.createdAt, filter.from),
    filter.to === undefined ? undefined : lt(e.createdAt, filter.to),
  );
}

/**
 * One page and one row more, newest first: the (created_at, id) order is the table's primary
 * key, read backwards. Unexecuted (the plan tests EXPLAIN it).
 */
export function executionsPageQuery(db: Db, filter: ExecutionFilter, page: { limit: number; after: ExecutionCursor | null }) {
  const { after } = page;
  const before = after && sql`(${e.createdAt}, ${e.id}) < (${after.createdAt}::timestamptz, ${after.id})`;
  return db
    .select({ event: e, cursorAt: cursorTimestamp(e.createdAt) })
    .from(e)
    .where(and(conditions(filter), before ?? undefined))
    .orderBy(desc(e.createdAt), desc(e.id))
    .limit(page.limit + 1);
}

/** Newest first, keyset-paginated: stable while new events arrive between pages. */
export async function listExecutions(
  db: Db,
  filter: ExecutionFilter,
  page: { limit: number; after: ExecutionCursor | null },
): Promise<{ rows: ExecutionView[]; next: ExecutionCursor | null }> {
  const rows = await executionsPageQuery(db, filter, page);
  const kept = rows.slice(0, page.limit);
  const last = kept[kept.length - 1];
  return {
    rows: kept.map(({ event }) => ({
      id: event.id,
      request_id: event.requestId,
      key_id: event.keyId,
      project_id: event.projectId,
      guardrail: event.guardrailName,
      mode: event.mode,
      action: event.action,
      failure_policy: event.failurePolicy,
      latency_ms: event.latencyMs,
      failed: event.failed,
      reason: event.reason,
      counts: event.counts,
      created_at: event.createdAt.toISOString(),
    })),
    next: rows.length > page.limit && last ? { createdAt: last.cursorAt, id: last.event.id } : null,
  };
}

/** Per guardrail × mode × action: runs, failed runs, mean and 95th-percentile latency. */
export async function summarizeExecutions(db: Db, filter: ExecutionFilter): Promise<ExecutionSummaryRow[]> {
  const rows = await db
    .select({
      guardrail: e.guardrailName,
      mode: e.mode,
      action: e.action,
      count: sql<number>`count(*)::int`,
      failures: sql<number>`(count(*) filter (where ${e.failed}))::int`,
      avg: sql<number>`round(avg(${e.latencyMs}), 2)::float8`,
      p95: sql<number>`round((percentile_cont(0.95) within group (order by ${e.latencyMs}))::numeric, 2)::float8`,
    })
    .from(e)
    .where(conditions(filter))
    .groupBy(e.guardrailName, e.mode, e.action)
    .orderBy(asc(e.guardrailName), asc(e.mode), asc(e.action));
  return rows.map(({ avg, p95, ...row }) => ({ ...row, avg_latency_ms: Number(avg), p95_latency_ms: Number(p95) }));
}
