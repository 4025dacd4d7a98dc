import { and, isNotNull, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { usageEvents } from "../schema.ts";
import { count, total, usageConditions, type UsageFilter } from "./usage-summary.ts";

const c = usageEvents;

export interface ProviderHealth {
  provider: string;
  request_count: number;
  error_count: number;
  /** Requests that failed with `upstream_timeout`. */
  timeout_count: number;
  fallback_count: number;
  latency_ms: { p50: number; p95: number; p99: number };
}

const latency = (fraction: string) => {
  const percentile = sql`percentile_cont(${sql.raw(fraction)}) within group (order by ${c.latencyMs})`;
  return sql<number>`coalesce(${percentile}, 0)::float8`.mapWith(Number);
};

/** Per provider over the filter's window; rows that never reached a provider (null) are left out. */
export async function summarizeProviderHealth(db: Db, filter: UsageFilter): Promise<ProviderHealth[]> {
  const rows = await db
    .select({
      provider: sql<string>`${c.provider}`,
      request_count: count(),
      error_count: count(sql`${c.status} = 'failure'`),
      timeout_count: count(sql`${c.errorCode} = 'upstream_timeout'`),
      fallback_count: total(c.fallbackCount),
      p50: latency("0.5"),
      p95: latency("0.95"),
      p99: latency("0.99"),
    })
    .from(c)
    .where(and(usageConditions(filter), isNotNull(c.provider)))
    .groupBy(c.provider)
    .orderBy(c.provider);
  return rows.map(({ p50, p95, p99, ...row }) => ({ ...row, latency_ms: { p50, p95, p99 } }));
}
