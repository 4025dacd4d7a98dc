import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integrationServices } from "../../testing/services.ts";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { call, expectError, jsonOf } from "./admin-test-helpers.ts";
import {
  AWKWARD_MODEL,
  DDE_MODEL,
  KEY_1,
  KEY_2,
  percentileCont,
  PROJECT_2,
  SEED,
  seedUsage,
  totalsOf,
  ZERO,
  type SeedRow,
  type Summary,
} from "./usage-test-data.ts";

const services = await integrationServices();

type Page<T> = { data: T[]; next_cursor: string | null };

describe.skipIf(!services.postgres || !services.redis)("usage analytics (PostgreSQL)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const get = async <T = unknown>(path: string) => jsonOf<T>(await call(gw, "GET", path), 200);

  test("an empty ledger answers zeros, no buckets and no groups", async () => {
    expect(await get("/admin/usage/summary")).toEqual(ZERO);
    expect(await get("/admin/tasks/t-1/usage")).toEqual(ZERO);
    expect(await get("/admin/usage/timeseries")).toEqual({ data: [], next_cursor: null });
    expect(await get("/admin/usage/by-key")).toEqual({ data: [], next_cursor: null });
    await seedUsage(gw.gateway.database.db, SEED);
  });

  test("summary totals every row", async () => {
    expect(await get("/admin/usage/summary")).toEqual({
      request_count: 7,
      success_count: 5,
      failure_count: 2,
      input_tokens: 31,
      output_tokens: 17,
      total_tokens: 48,
      estimated_cost_usd: 1.96875,
      total_latency_ms: 775,
      fallback_count: 3,
    });
  });

  const filters: [string, (row: SeedRow) => boolean][] = [
    ["from=2030-01-01T01:00:00Z", (r) => r.createdAt! >= new Date("2030-01-01T01:00:00Z")],
    ["to=2030-01-01T01:05:00Z", (r) => r.createdAt! < new Date("2030-01-01T01:05:00Z")],
    ["from=2030-01-01T00:50:00%2B00:00&to=2030-01-03T12:00:00Z", (r) => ["-r2+1", "r3", "r4", "@r5"].includes(r.requestId)],
    [`key_id=${KEY_1}`, (r) => r.keyId === KEY_1],
    [`key_id=${KEY_2.toUpperCase()}`, (r) => r.keyId === KEY_2],
    [`project_id=${PROJECT_2}`, (r) => r.projectId === PROJECT_2],
    ["route=/v1/embeddings", (r) => r.route === "/v1/embeddings"],
    ["provider=litellm", (r) => r.provider === "litellm"],
    ["service=billing", (r) => r.serviceName === "billing"],
    ["model=gpt-4o", (r) => r.model === "gpt-4o"],
    [`model=${encodeURIComponent(DDE_MODEL)}`, (r) => r.model === DDE_MODEL],
    ["task_id=t-1", (r) => r.taskId === "t-1"],
    ["status=failure", (r) => r.status === "failure"],
    [
      `status=success&key_id=${KEY_1}&model=gpt-4o`,
      (r) => r.status === "success" && r.keyId === KEY_1 && r.model === "gpt-4o",
    ],
    ["model=nothing-like-it", () => false],
  ];
  for (const [query, keep] of filters) {
    test(`summary narrows by ${query}`, async () => {
      expect(await get(`/admin/usage/summary?${query}`)).toEqual(totalsOf(SEED.filter(keep)));
    });
  }

  test("invalid filters are 400 invalid_admin_payload naming the field", async () => {
    const cases: [string, string][] = [
      ["/admin/usage/summary?from=yesterday", "field `from`: must be an RFC 3339"],
      ["/admin/usage/summary?to=2030-01-01", "field `to`: must be an RFC 3339"],
      ["/admin/usage/summary?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z", "field `to`: must be later than `from`"],
      ["/admin/usage/summary?key_id=nope", "field `key_id`: must be a UUID"],
      ["/admin/usage/summary?project_id=1", "field `project_id`: must be a UUID"],
      ["/admin/usage/summary?status=ok", "field `status`: must be one of"],
      ["/admin/usage/summary?service=Not%20A%20Service", "field `service`: must be a service name"],
      ["/admin/usage/summary?task_id=has%20space", "field `task_id`: must be 1-128 characters"],
      [`/admin/usage/summary?model=${"m".repeat(257)}`, "field `model`: must be at most 256 characters"],
      ["/admin/usage/summary?route=", "field `route`: must not be empty"],
      ["/admin/usage/summary?since=2030-01-01T00:00:00Z", "field `since`: is not a known field"],
      ["/admin/usage/summary?limit=5", "field `limit`: is not a known field"],
      ["/admin/usage/timeseries?bucket=week", "field `bucket`: must be one of"],
      ["/admin/usage/by-key?limit=0", "field `limit`: must be an integer from 1 to 1000"],
      ["/admin/usage/by-key?limit=1001", "field `limit`: must be an integer from 1 to 1000"],
      ["/admin/usage/by-key?cursor=garbage", "field `cursor`: is not a cursor this list returned"],
      ["/admin/usage/by-model?provider=", "field `provider`: must not be empty"],
      ["/admin/tasks/bad%20task/usage", "field `task_id`: must be 1-128 characters"],
      [`/admin/tasks/${"t".repeat(129)}/usage`, "field `task_id`"],
      ["/admin/tasks/t-1/usage?task_id=t-2", "field `task_id`: is not a known field"],
      ["/admin/provider-health?status=maybe", "field `status`"],
    ];
    for (const [path, message] of cases) await expectError(await call(gw, "GET", path), "invalid_admin_payload", message);
  });

  test("timeseries: non-empty UTC hour and day buckets, oldest first, filters applied", async () => {
    const hours = await get<Page<Summary & { bucket_start: string }>>("/admin/usage/timeseries");
    const byStart = (start: string, keep: (r: SeedRow) => boolean) => ({
      bucket_start: start,
      ...totalsOf(SEED.filter(keep)),
    });
    const inHour = (start: string) => (r: SeedRow) => r.createdAt!.toISOString().slice(0, 13) === start.slice(0, 13);
    const hourStarts = ["2030-01-01T00", "2030-01-01T01", "2030-01-02T03", "2030-01-03T00", "2030-01-03T12"].map(
      (hour) => `${hour}:00:00.000Z`,
    );
    expect(hours).toEqual({ data: hourStarts.map((s) => byStart(s, inHour(s))), next_cursor: null });

    const days = await get<Page<Summary & { bucket_start: string }>>(`/admin/usage/timeseries?bucket=day&key_id=${KEY_1}`);
    const inDay = (start: string) => (r: SeedRow) =>
      r.keyId === KEY_1 && r.createdAt!.toISOString().slice(0, 10) === start.slice(0, 10);
    const dayStarts = ["2030-01-01T00:00:00.000Z", "2030-01-03T00:00:00.000Z"];
    expect(days).toEqual({ data: dayStarts.map((s) => byStart(s, inDay(s))), next_cursor: null });
  });

  test("timeseries refuses ranges of more than 10,000 buckets", async () => {
    const wide = "from=2010-01-01T00:00:00Z&to=2030-01-01T00:00:00Z";
    const refused = "field `from`: the range holds more than 10000 hour buckets";
    await expectError(await call(gw, "GET", `/admin/usage/timeseries?${wide}`), "invalid_admin_payload", refused);
    expect((await get<Page<unknown>>(`/admin/usage/timeseries?bucket=day&${wide}`)).data).toEqual([]);
    // An open range is bounded by its data: 10,001 non-empty hours are refused too.
    const db = gw.gateway.database.db;
    await db.execute(`insert into usage_events (request_id, route, status, status_code, created_at)
      select 'h' || i, '/hours', 'success', 200, timestamptz '2031-01-01T00:00:00Z' + i * interval '1 hour'
      from generate_series(0, 10000) as i`);
    try {
      const open = await call(gw, "GET", "/admin/usage/timeseries?route=/hours");
      await expectError(open, "invalid_admin_payload", "field `from`");
      expect((await get<Page<unknown>>("/admin/usage/timeseries?route=/hours&bucket=day")).data).toHaveLength(417);
    } finally {
      await db.execute(`delete from usage_events where route = '/hours'`);
    }
  });

  const groups: [string, string, (r: SeedRow) => string | null | undefined][] = [
    ["key", "key_id", (r) => r.keyId],
    ["project", "project_id", (r) => r.projectId],
    ["model", "model", (r) => r.model],
    ["provider", "provider", (r) => r.provider],
    ["service", "service_name", (r) => r.serviceName],
    ["task", "task_id", (r) => r.taskId],
  ];
  for (const [dimension, field, valueOf] of groups) {
    test(`by-${dimension}: totals per ${field} (null included), most expensive first`, async () => {
      const values = [...new Set(SEED.map((r) => valueOf(r) ?? null))];
      const expected = values
        .map((value) => ({ value, ...totalsOf(SEED.filter((r) => (valueOf(r) ?? null) === value)) }))
        .sort((a, b) => b.estimated_cost_usd - a.estimated_cost_usd || order(a.value, b.value))
        .map(({ value, ...totals }) => ({ [field]: value, ...totals }));
      expect(await get(`/admin/usage/by-${dimension}`)).toEqual({ data: expected, next_cursor: null });
    });
  }

  test("by-* filters apply before grouping", async () => {
    expect(await get(`/admin/usage/by-model?key_id=${KEY_1}&status=success`)).toEqual({
      data: [
        { model: "gpt-4o", ...totalsOf(SEED.filter((r) => r.keyId === KEY_1 && r.model === "gpt-4o")) },
        { model: AWKWARD_MODEL, ...totalsOf(SEED.filter((r) => r.model === AWKWARD_MODEL)) },
      ],
      next_cursor: null,
    });
  });

  test("by-* pagination walks every group once, ties on cost ordered by value, null last", async () => {
    const rows: SeedRow[] = ["m-c", "m-a", "m-b", "m-e", "m-d", null, "m-f"].map((model, i) => ({
      ...{ requestId: `p${i}`, route: "/paging", model, status: "success", statusCode: 200 },
      estimatedCostUsd: [0.5, 0.25, 0.25, 0, 0.25, 0.25, 0][i]!,
      createdAt: new Date("2030-02-01T00:00:00Z"),
    }));
    await seedUsage(gw.gateway.database.db, rows);
    const all = await get<Page<{ model: string | null }>>("/admin/usage/by-model?route=/paging");
    expect(all.data.map((g) => g.model)).toEqual(["m-c", "m-a", "m-b", "m-d", null, "m-e", "m-f"]);
    for (const limit of [1, 2, 3]) {
      const seen: (string | null)[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
        const page: Page<{ model: string | null }> = await get(`/admin/usage/by-model?route=/paging&limit=${limit}${query}`);
        expect(page.data.length).toBeLessThanOrEqual(limit);
        seen.push(...page.data.map((g) => g.model));
        cursor = page.next_cursor;
      } while (cursor !== null && ++pages < 20);
      expect(seen).toEqual(all.data.map((g) => g.model));
    }
    // A by-model cursor means nothing to by-key.
    const first = await get<Page<unknown>>("/admin/usage/by-model?route=/paging&limit=1");
    const foreign = await call(gw, "GET", `/admin/usage/by-key?cursor=${first.next_cursor}`);
    await expectError(foreign, "invalid_admin_payload", "field `cursor`");
    await gw.gateway.database.db.execute(`delete from usage_events where route = '/paging'`);
  });

  test("tasks/{task_id}/usage sums that task; unknown tasks have zero usage", async () => {
    expect(await get("/admin/tasks/t-1/usage")).toEqual(totalsOf(SEED.filter((r) => r.taskId === "t-1")));
    const ofKey = SEED.filter((r) => r.taskId === "t-1" && r.keyId === KEY_1);
    expect(await get(`/admin/tasks/t-1/usage?key_id=${KEY_1}`)).toEqual(totalsOf(ofKey));
    expect(await get("/admin/tasks/never.seen:task_1/usage")).toEqual(ZERO);
  });

  test("provider-health: per provider over the last 24 h by default, or the filter's window", async () => {
    const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    const row = (provider: string | null, latencyMs: number, minutes: number, extra: Partial<SeedRow> = {}): SeedRow => ({
      ...{ requestId: "h", route: "/health", provider, status: "success", statusCode: 200, latencyMs },
      createdAt: ago(minutes),
      ...extra,
    });
    const timeout = { status: "failure", statusCode: 504, errorCode: "upstream_timeout" } as const;
    await seedUsage(gw.gateway.database.db, [
      ...[10, 20, 30].map((latency, i) => row("litellm", latency, 10 + i)),
      row("litellm", 40, 60, { ...timeout, fallbackCount: 1 }),
      row("openai", 500, 5, { status: "failure", statusCode: 502, errorCode: "upstream_connection" }),
      row("litellm", 9999, 30 * 60), // older than 24 h
      row(null, 1, 5), // never reached a provider
    ]);
    type Counts = { errors: number; timeouts: number; fallbacks: number };
    const health = (provider: string, latencies: number[], counts: Counts) => ({
      ...{ provider, request_count: latencies.length, error_count: counts.errors, timeout_count: counts.timeouts },
      fallback_count: counts.fallbacks,
      latency_ms: {
        p50: percentileCont(latencies, 0.5),
        p95: percentileCont(latencies, 0.95),
        p99: percentileCont(latencies, 0.99),
      },
    });
    try {
      expect(await get("/admin/provider-health")).toEqual({
        data: [
          health("litellm", [10, 20, 30, 40], { errors: 1, timeouts: 1, fallbacks: 1 }),
          health("openai", [500], { errors: 1, timeouts: 0, fallbacks: 0 }),
        ],
        next_cursor: null,
      });
      expect(await get("/admin/provider-health?from=2030-01-01T00:00:00Z&to=2030-02-01T00:00:00Z")).toEqual({
        data: [
          health("internal-service", [40], { errors: 0, timeouts: 0, fallbacks: 0 }),
          health("litellm", [100, 200, 300, 60, 70], { errors: 1, timeouts: 1, fallbacks: 3 }),
          health("openai", [5], { errors: 1, timeouts: 0, fallbacks: 0 }),
        ],
        next_cursor: null,
      });
      expect(await get(`/admin/provider-health?from=2030-01-01T00:00:00Z&key_id=${KEY_2}`)).toEqual({
        data: [
          health("internal-service", [40], { errors: 0, timeouts: 0, fallbacks: 0 }),
          health("litellm", [300, 70], { errors: 1, timeouts: 1, fallbacks: 2 }),
        ],
        next_cursor: null,
      });
      expect(await get("/admin/provider-health?to=2000-01-01T00:00:00Z")).toEqual({ data: [], next_cursor: null });
    } finally {
      await gw.gateway.database.db.execute(`delete from usage_events where route = '/health'`);
    }
  });
});

/** PostgreSQL's order for these values: uuids and plain ASCII compare like JS strings here; null last. */
function order(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
