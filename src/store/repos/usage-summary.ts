import { and, eq, gte, lt, sql } from "drizzle-orm";
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

export interface UsageFilter {
  keyId?: string;
  projectId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

// Sums of int columns are bigint (strings from the driver) and the cost sum is numeric: cast once here.
const total = (column: AnyPgColumn) => sql<number>`coalesce(sum(${column}), 0)::float8`.mapWith(Number);

export async function summarizeUsage(db: Db, filter: UsageFilter): Promise<UsageSummary> {
  const conditions = [
    filter.keyId === undefined ? undefined : eq(usageEvents.keyId, filter.keyId),
    filter.projectId === undefined ? undefined : eq(usageEvents.projectId, filter.projectId),
    filter.from === undefined ? undefined : gte(usageEvents.createdAt, filter.from),
    filter.to === undefined ? undefined : lt(usageEvents.createdAt, filter.to),
  ];
  const [row] = await db
    .select({
      request_count: sql<number>`count(*)::float8`.mapWith(Number),
      success_count: sql<number>`count(*) filter (where ${usageEvents.status} = 'success')::float8`.mapWith(Number),
      failure_count: sql<number>`count(*) filter (where ${usageEvents.status} = 'failure')::float8`.mapWith(Number),
      input_tokens: total(usageEvents.inputTokens),
      output_tokens: total(usageEvents.outputTokens),
      total_tokens: total(usageEvents.totalTokens),
      estimated_cost_usd: total(usageEvents.estimatedCostUsd),
      total_latency_ms: total(usageEvents.latencyMs),
      fallback_count: total(usageEvents.fallbackCount),
    })
    .from(usageEvents)
    .where(and(...conditions));
  return row!;
}
