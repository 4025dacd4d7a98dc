import { and, sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../db.ts";
import { usageEvents } from "../schema.ts";
import { usageConditions, usageTotals, type UsageFilter, type UsageSummary } from "./usage-summary.ts";

const c = usageEvents;

/** The by-* breakdowns: the response field each one is named by and the ledger column behind it. */
export const USAGE_DIMENSIONS = {
  key: { field: "key_id", column: c.keyId, uuid: true },
  project: { field: "project_id", column: c.projectId, uuid: true },
  model: { field: "model", column: c.model, uuid: false },
  provider: { field: "provider", column: c.provider, uuid: false },
  service: { field: "service_name", column: c.serviceName, uuid: false },
  task: { field: "task_id", column: c.taskId, uuid: false },
} as const satisfies Record<string, { field: string; column: AnyPgColumn; uuid: boolean }>;

export type UsageDimension = keyof typeof USAGE_DIMENSIONS;

/**
 * Position after the last group of a page, in the order cost desc, value asc (null last). The
 * cost is the exact numeric sum as text: a float would compare unequal to itself in SQL.
 */
export interface GroupCursor {
  cost: string;
  value: string | null;
}

export interface UsageGroup extends UsageSummary {
  value: string | null;
}

export interface GroupPageRequest {
  limit: number;
  after: GroupCursor | null;
}

export interface GroupPage {
  rows: UsageGroup[];
  next: GroupCursor | null;
}

function afterGroup(column: AnyPgColumn, cost: SQL, after: GroupCursor | null): SQL | undefined {
  if (!after) return undefined;
  const cheaper = sql`${cost} < ${after.cost}::numeric`;
  // Nulls sort last within a cost, so nothing of the same cost follows the null group.
  if (after.value === null) return cheaper;
  const later = sql`(${column} > ${after.value} or ${column} is null)`;
  return sql`(${cheaper} or (${cost} = ${after.cost}::numeric and ${later}))`;
}

/** The statement of one page, unexecuted (the plan tests EXPLAIN it). */
export function groupUsageQuery(db: Db, dimension: UsageDimension, filter: UsageFilter, page: GroupPageRequest) {
  const column = USAGE_DIMENSIONS[dimension].column;
  const cost = sql`coalesce(sum(${c.estimatedCostUsd}), 0)`;
  return db
    .select({ value: sql<string | null>`${column}::text`, exactCost: sql<string>`${cost}::text`, ...usageTotals() })
    .from(c)
    .where(usageConditions(filter))
    .groupBy(column)
    .having(and(afterGroup(column, cost, page.after)))
    .orderBy(sql`${cost} desc`, sql`${column} asc nulls last`)
    .limit(page.limit + 1);
}

/**
 * One page of usage grouped by a dimension, most expensive first. Groups are recomputed per
 * page, so a page boundary holds while the totals do not move (paging a live window may shift
 * a group whose cost changed between pages; a closed window (`to` in the past) never moves).
 */
export async function groupUsage(
  db: Db,
  dimension: UsageDimension,
  filter: UsageFilter,
  page: GroupPageRequest,
): Promise<GroupPage> {
  const rows = await groupUsageQuery(db, dimension, filter, page);
  const more = rows.length > page.limit;
  const kept = more ? rows.slice(0, page.limit) : rows;
  const last = kept.at(-1);
  return {
    rows: kept.map(({ exactCost: _, ...row }) => row),
    next: more && last ? { cost: last.exactCost, value: last.value } : null,
  };
}
