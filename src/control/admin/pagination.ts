import type { Context } from "hono";
import * as v from "valibot";
import { parseRfc3339 } from "../../core/rfc3339.ts";
import type { Page, PageCursor, PageRequest } from "../../store/repos/keyset.ts";

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

const PRECISE_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque to clients: base64url of `[created_at µs, id]`, the last row of the previous page. */
export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString("base64url");
}

export function decodeCursor(text: string): PageCursor | null {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    if (!Array.isArray(decoded) || decoded.length !== 2) return null;
    const [createdAt, id] = decoded as unknown[];
    if (typeof createdAt !== "string" || !PRECISE_UTC.test(createdAt) || parseRfc3339(createdAt) === null) return null;
    if (typeof id !== "string" || !UUID.test(id)) return null;
    return { createdAt, id };
  } catch {
    return null;
  }
}

/** A `limit` query field: an integer from 1 to max. */
export function limitField(max: number) {
  const rule = `must be an integer from 1 to ${max}`;
  return v.optional(
    v.pipe(
      v.string(),
      v.regex(new RegExp(`^\\d{1,${String(max).length}}$`), rule),
      v.transform(Number),
      v.minValue(1, rule),
      v.maxValue(max, rule),
    ),
  );
}

/** `limit` and `cursor` query fields; spread into a list's query schema beside its filters. */
export const pageQueryEntries = {
  limit: limitField(MAX_PAGE_LIMIT),
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.check((text) => decodeCursor(text) !== null, "is not a cursor this list returned"),
      v.transform((text) => decodeCursor(text)!),
    ),
  ),
};

export function pageRequest(query: { limit?: number; cursor?: PageCursor }): PageRequest {
  return { limit: query.limit ?? DEFAULT_PAGE_LIMIT, after: query.cursor ?? null };
}

/** Every admin list: `{"data": [...], "next_cursor": null | "<opaque>"}`. */
export function renderPage<T>(c: Context, page: Page<T>) {
  return c.json({ data: page.rows, next_cursor: page.next ? encodeCursor(page.next) : null });
}
