import { sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

/**
 * Keyset pagination over (created_at, id), oldest first: stable while rows are added or
 * removed between pages. The timestamp is carried at PostgreSQL's microsecond precision
 * (a JS Date would truncate it to milliseconds and skip or repeat rows sharing one).
 */
export interface PageCursor {
  /** `YYYY-MM-DDTHH:MM:SS.ffffffZ` */
  createdAt: string;
  id: string;
}

export interface PageRequest {
  limit: number;
  after: PageCursor | null;
}

export interface Page<T> {
  rows: T[];
  next: PageCursor | null;
}

/** Select this as `cursorAt` beside each listed row. */
export const cursorTimestamp = (createdAt: AnyPgColumn) =>
  sql<string>`to_char(${createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function afterCursor(createdAt: AnyPgColumn, id: AnyPgColumn, after: PageCursor | null): SQL | undefined {
  if (!after) return undefined;
  return sql`(${createdAt}, ${id}) > (${after.createdAt}::timestamptz, ${after.id}::uuid)`;
}

/** Rows were fetched with `limit + 1`: the extra one only says another page exists. */
export function toPage<T extends { id: string; cursorAt: string }>(rows: T[], limit: number): Page<T> {
  if (rows.length <= limit) return { rows, next: null };
  const page = rows.slice(0, limit);
  const last = page[page.length - 1]!;
  return { rows: page, next: { createdAt: last.cursorAt, id: last.id } };
}
