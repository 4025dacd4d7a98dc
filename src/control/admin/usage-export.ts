import { Hono, type Context } from "hono";
import type { AppEnv } from "../../http/app-env.ts";
import { readQuery } from "../../http/validation.ts";
import type { Db } from "../../store/db.ts";
import { findPageEnd, readUsageChunks, type ExportRange, type UsageExportRow } from "../../store/repos/usage-export.ts";
import { exactObject } from "./common-schemas.ts";
import { CSV_EXPORT, fileStamp, JSON_EXPORT, type ExportFormat } from "./usage-export-format.ts";
import { encodeLedgerCursor, exportPageEntries, usageFilterEntries, usageFilterOf } from "./usage-schemas.ts";

export interface UsageExportDeps {
  db: Db;
  /**
   * Rows per query while streaming (default 1,000). Memory follows the chunk size, not the
   * export's: measured on a 1M-row CSV export, peak RSS growth ~65-80 MB at 500-1,000 rows,
   * ~125 MB at 5,000 (driver buffers and result rows awaiting GC), at the same throughput.
   */
  chunkRows?: number;
}

const exportQuery = exactObject({ ...usageFilterEntries, ...exportPageEntries });

/**
 * The body: each pull reads the next chunk only once the previous one was taken (backpressure
 * from the client's socket), so memory holds a chunk or two whatever the export's size;
 * cancelling (client gone) ends the generator, which issues no further query.
 */
function exportBody(
  format: ExportFormat,
  first: UsageExportRow[] | undefined,
  chunks: AsyncGenerator<UsageExportRow[]>,
  nextCursor: string | null,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let pending: string | null = format.head() + (first ? format.rows(first, true) : "");
  let wroteRows = first !== undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending !== null) {
        controller.enqueue(encoder.encode(pending));
        pending = null;
        return;
      }
      // A finished generator (an empty export) answers done without another query.
      const next = await chunks.next();
      if (next.done) {
        const tail = format.tail(nextCursor);
        if (tail) controller.enqueue(encoder.encode(tail));
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(format.rows(next.value, !wroteRows)));
      wroteRows = true;
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

async function respondWithExport(c: Context<AppEnv>, db: Db, format: ExportFormat, chunkRows: number) {
  const query = readQuery(c, exportQuery);
  const filter = usageFilterOf(query);
  const from: ExportRange = { filter, after: query.cursor ?? null, until: null };
  // A page is pinned before the first byte: its end (= the next cursor) goes in a header.
  const end = query.limit === undefined ? null : await findPageEnd(db, from, query.limit);
  const chunks = readUsageChunks(db, { ...from, until: end }, chunkRows);
  // The first chunk is read before answering, so a database failure is still a proper 503.
  const first = await chunks.next();
  const nextCursor = end ? encodeLedgerCursor(end) : null;
  const fileName = `usage-${fileStamp(filter.from, "start")}-${fileStamp(filter.to, "end")}.${format.extension}`;
  const headers: Record<string, string> = {
    "content-type": format.contentType,
    "content-disposition": `attachment; filename="${fileName}"`,
    "cache-control": "no-store",
  };
  if (nextCursor) headers["x-next-cursor"] = nextCursor;
  return c.body(exportBody(format, first.done ? undefined : first.value, chunks, nextCursor), 200, headers);
}

/**
 * `/admin/usage/export.json` and `.csv` (contract 6): ledger rows in (created_at, id) order.
 * Without `limit`, every matching row after `cursor` (none: from the start) is streamed; with
 * `limit`, one page of that many rows and its `next_cursor` (also the `x-next-cursor` header).
 */
export function createUsageExportRoutes({ db, chunkRows = 1_000 }: UsageExportDeps) {
  const app = new Hono<AppEnv>();
  app.get("/export.csv", (c) => respondWithExport(c, db, CSV_EXPORT, chunkRows));
  app.get("/export.json", (c) => respondWithExport(c, db, JSON_EXPORT, chunkRows));
  return app;
}
