import { Hono } from "hono";
import * as v from "valibot";
import { countBuckets, MAX_BUCKETS, type BucketSize } from "../../core/usage-window.ts";
import type { AppEnv } from "../../http/app-env.ts";
import { readQuery } from "../../http/validation.ts";
import type { Db } from "../../store/db.ts";
import { groupUsage, USAGE_DIMENSIONS, type UsageDimension } from "../../store/repos/usage-groups.ts";
import { summarizeUsage } from "../../store/repos/usage-summary.ts";
import { bucketUsage } from "../../store/repos/usage-timeseries.ts";
import { exactObject, invalidField } from "./common-schemas.ts";
import { DEFAULT_PAGE_LIMIT, pageQueryEntries } from "./pagination.ts";
import { decodeGroupCursor, encodeGroupCursor, usageFilterEntries, usageFilterOf } from "./usage-schemas.ts";

export interface UsageRouteDeps {
  db: Db;
}

const summaryQuery = exactObject(usageFilterEntries);
const timeseriesQuery = exactObject({ ...usageFilterEntries, bucket: v.optional(v.picklist(["hour", "day"])) });
// The cursor is checked in the handler: what it may hold depends on the breakdown.
const groupQuery = exactObject({
  ...usageFilterEntries,
  limit: pageQueryEntries.limit,
  cursor: v.optional(v.string()),
});

function tooManyBuckets(bucket: BucketSize) {
  const advice = bucket === "hour" ? "narrow `from`/`to` or use bucket=day" : "narrow `from`/`to`";
  const message = `the range holds more than ${MAX_BUCKETS} ${bucket} buckets; ${advice}`;
  return invalidField("invalid_admin_payload", "from", message);
}

/** `/admin/usage` analytics (contract 6): totals, UTC buckets and breakdowns over the ledger. */
export function createUsageRoutes({ db }: UsageRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/summary", async (c) => c.json(await summarizeUsage(db, usageFilterOf(readQuery(c, summaryQuery)))));

  app.get("/timeseries", async (c) => {
    const query = readQuery(c, timeseriesQuery);
    const filter = usageFilterOf(query);
    const bucket = query.bucket ?? "hour";
    if (filter.from && filter.to && countBuckets(filter.from, filter.to, bucket) > MAX_BUCKETS) {
      throw tooManyBuckets(bucket);
    }
    // Open ranges are bounded by the data: only non-empty buckets are counted, one past the cap.
    const rows = await bucketUsage(db, bucket, filter, MAX_BUCKETS + 1);
    if (rows.length > MAX_BUCKETS) throw tooManyBuckets(bucket);
    return c.json({ data: rows, next_cursor: null });
  });

  for (const dimension of Object.keys(USAGE_DIMENSIONS) as UsageDimension[]) {
    const { field, uuid } = USAGE_DIMENSIONS[dimension];
    app.get(`/by-${dimension}`, async (c) => {
      const query = readQuery(c, groupQuery);
      const filter = usageFilterOf(query);
      const after = query.cursor === undefined ? null : decodeGroupCursor(dimension, uuid, query.cursor);
      if (query.cursor !== undefined && !after) {
        throw invalidField("invalid_admin_payload", "cursor", "is not a cursor this list returned");
      }
      const page = await groupUsage(db, dimension, filter, { limit: query.limit ?? DEFAULT_PAGE_LIMIT, after });
      return c.json({
        data: page.rows.map(({ value, ...totals }) => ({ [field]: value, ...totals })),
        next_cursor: page.next ? encodeGroupCursor(dimension, page.next) : null,
      });
    });
  }

  return app;
}
