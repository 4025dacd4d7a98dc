import { and, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../db.ts";
import { usageEvents } from "../schema.ts";

/** Contract 6: the totals every usage summary answers with (numbers, 0 when empty). */
export interface UsageSummary {
  request_count: number;
  success_count: number;
  failure_count: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  estimated_cost_usd: number;
  total_latency_ms: number;
  fallback_count: number;
}

/** Contract 6 usage filters; every field optional, all of them ANDed. */
export interface UsageFilter {
  keyId?: string;
  projectId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  route?: string;
  provider?: string;
  serviceName?: string;
  model?: string;
  taskId?: string;
  status?: "success" | "failure";
}

const c = usageEvents;

/**
 * The WHERE clause of a filter. Plain equalities and a created_at range, so PostgreSQL can pick
 * the ledger's (dimension, created_at) indexes (the partial ones included: `col = $1` implies
 * `col is not null`).
 */
export function usageConditions(filter: UsageFilter): SQL | undefined {
  const equal = (column: AnyPgColumn, value: string | undefined) =>
    value === undefined ? undefined : eq(column, value);
  return and(
    equal(c.keyId, filter.keyId),
    equal(c.projectId, filter.projectId),
    equal(c.route, filter.route),
    equal(c.provider, filter.provider),
    equal(c.serviceName, filter.serviceName),
    equal(c.model, filter.model),
    equal(c.taskId, filter.taskId),
    equal(c.status, filter.status),
    filter.from === undefined ? undefined : gte(c.createdAt, filter.from),
    filter.to === undefined ? undefined : lt(c.createdAt, filter.to),
  );
}

// Sums of int columns are bigint (strings from the driver) and the cost sum is numeric: cast once here.
export const total = (column: AnyPgColumn) => sql<number>`coalesce(sum(${column}), 0)::float8`.mapWith(Number);
export const count = (where?: SQL) =>
  (where ? sql<number>`count(*) filter (where ${where})::float8` : sql<number>`count(*)::float8`).mapWith(Number);

/** The summary as select fields: reused by every grouping (by-*, timeseries, tasks). */
export const usageTotals = () => ({
  request_count: count(),
  success_count: count(sql`${c.status} = 'success'`),
  failure_count: count(sql`${c.status} = 'failure'`),
  input_tokens: total(c.inputTokens),
  output_tokens: total(c.outputTokens),
  total_tokens: total(c.totalTokens),
  estimated_cost_usd: total(c.estimatedCostUsd),
  total_latency_ms: total(c.latencyMs),
  fallback_count: total(c.fallbackCount),
});

/** The statement unexecuted: the plan tests EXPLAIN it. */
export const summaryQuery = (db: Db, filter: UsageFilter) =>
  db.select(usageTotals()).from(usageEvents).where(usageConditions(filter));

export async function summarizeUsage(db: Db, filter: UsageFilter): Promise<UsageSummary> {
  const [row] = await summaryQuery(db, filter);
  return row!;
}
