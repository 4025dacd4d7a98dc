import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { call, jsonOf } from "./admin-test-helpers.ts";
import { EXPORT_COLUMNS } from "./usage-export-format.ts";
import { AWKWARD_MODEL, DDE_MODEL, KEY_1, parseCsv, SEED, seedUsage, totalsOf } from "./usage-test-data.ts";

// Embedded mode (PGlite) runs the same SQL: date_trunc, percentile_cont, trim_scale, row
// comparisons and the partitioned ledger must all work there too.
describe("usage analytics in embedded mode (PGlite)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ embedded: true });
    await seedUsage(gw.gateway.database.db, SEED);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const get = async <T = unknown>(path: string) => jsonOf<T>(await call(gw, "GET", path), 200);

  test("summary, tasks, timeseries, by-* and provider-health answer as on PostgreSQL", async () => {
    expect(await get("/admin/usage/summary")).toEqual(totalsOf(SEED));
    expect(await get(`/admin/usage/summary?key_id=${KEY_1}`)).toEqual(totalsOf(SEED.filter((r) => r.keyId === KEY_1)));
    expect(await get("/admin/tasks/t-1/usage")).toEqual(totalsOf(SEED.filter((r) => r.taskId === "t-1")));
    const days = await get<{ data: { bucket_start: string }[] }>("/admin/usage/timeseries?bucket=day");
    const starts = ["2030-01-01T00:00:00.000Z", "2030-01-02T00:00:00.000Z", "2030-01-03T00:00:00.000Z"];
    expect(days.data.map((b) => b.bucket_start)).toEqual(starts);
    type Models = { data: { model: string | null }[]; next_cursor: string | null };
    const first = await get<Models>("/admin/usage/by-model?limit=2");
    const rest = await get<Models>(`/admin/usage/by-model?cursor=${first.next_cursor}`);
    expect(rest.next_cursor).toBeNull();
    const models = [...first.data, ...rest.data].map((g) => g.model);
    expect(models).toEqual([null, "gpt-4o", AWKWARD_MODEL, "claude", DDE_MODEL]);
    type Health = { data: { provider: string; latency_ms: unknown }[] };
    const health = await get<Health>("/admin/provider-health?from=2030-01-01T00:00:00Z");
    expect(health.data.map((h) => h.provider)).toEqual(["internal-service", "litellm", "openai"]);
    expect(health.data[1]!.latency_ms).toEqual({ p50: 100, p95: 280, p99: 296 });
  });

  test("exports stream every row, paged or whole, in both formats", async () => {
    type Export = { data: { id: number; estimated_cost_usd: number }[]; next_cursor: null };
    const json = await get<Export>("/admin/usage/export.json");
    expect(json.data).toHaveLength(SEED.length);
    expect(json.data.reduce((sum, row) => sum + row.estimated_cost_usd, 0)).toBe(totalsOf(SEED).estimated_cost_usd);
    const page = await call(gw, "GET", "/admin/usage/export.csv?limit=4");
    const cursor = page.headers.get("x-next-cursor");
    const [header, ...head] = parseCsv(await page.text());
    expect(header).toEqual([...EXPORT_COLUMNS]);
    const tail = parseCsv(await (await call(gw, "GET", `/admin/usage/export.csv?cursor=${cursor}`)).text()).slice(1);
    expect([...head, ...tail].map((row) => Number(row[0]))).toEqual(json.data.map((row) => row.id));
  });
});
