import { sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { usageEvents } from "../schema.ts";
import { usageConditions, usageTotals, type UsageFilter, type UsageSummary } from "./usage-summary.ts";

const c = usageEvents;

export type UsageBucket = "hour" | "day";

export interface UsageBucketRow extends UsageSummary {
  /** `YYYY-MM-DDTHH:MM:SS.000Z`, the UTC start of the bucket. */
  bucket_start: string;
}

/**
 * Non-empty UTC buckets, oldest first, at most `max` of them (the caller asks for one more than
 * it will answer with, to tell "too many" from "exactly enough").
 */
export async function bucketUsage(
  db: Db,
  bucket: UsageBucket,
  filter: UsageFilter,
  max: number,
): Promise<UsageBucketRow[]> {
  // A literal, not a parameter: GROUP BY must see the same expression as the select list.
  const start = sql`date_trunc(${sql.raw(bucket === "day" ? "'day'" : "'hour'")}, ${c.createdAt} at time zone 'UTC')`;
  return db
    .select({ bucket_start: sql<string>`to_char(${start}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`, ...usageTotals() })
    .from(c)
    .where(usageConditions(filter))
    .groupBy(start)
    .orderBy(start)
    .limit(max);
}
