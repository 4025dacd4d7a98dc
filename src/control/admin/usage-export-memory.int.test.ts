import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integrationServices } from "../../testing/services.ts";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";

const services = await integrationServices();

const ROWS = 1_000_000;
const MiB = 1024 * 1024;
/** Heap growth allowed while streaming; the export itself is ~175 MB of CSV. */
const MAX_HEAP_GROWTH = 150 * MiB;
/**
 * RSS also holds what the allocator keeps after GCs and whatever the rest of the suite left in
 * this shared process (measured 90-110 MiB alone, up to ~180 MiB in the full suite): a looser
 * bound, still far below holding the export (its text alone is ~175 MB, as JS strings ~2x).
 */
const MAX_RSS_GROWTH = 256 * MiB;

/**
 * A million-row export streams: its first bytes leave long before its last row is read, and
 * memory stays flat (a chunk or two of rows at a time), whatever the export's size. Server and
 * client share this process, so the figures bound both sides.
 */
describe.skipIf(!services.postgres || !services.redis)("usage export of 1,000,000 rows (PostgreSQL)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
    const started = performance.now();
    await gw.gateway.database.db.execute(`
      insert into usage_events (request_id, key_id, route, model, provider, status, status_code, latency_ms,
        input_tokens, output_tokens, total_tokens, estimated_cost_usd, guardrails, created_at)
      select 'req-' || i, ('00000000-0000-4000-8000-' || lpad((i % 1000)::text, 12, '0'))::uuid,
        '/v1/chat/completions', case when i % 7 = 0 then '=cmd|x' else 'model-' || (i % 7) end, 'litellm',
        'success', 200, i % 900, 10, 5, 15, 0.00012345, '{pii-redact}',
        timestamptz '2030-01-01T00:00:00Z' + i * interval '1 second'
      from generate_series(1, ${ROWS}) as i`);
    console.log(`seeded ${ROWS} rows in ${Math.round(performance.now() - started)} ms`);
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  test("CSV export: every row, first bytes early, memory flat", async () => {
    Bun.gc(true);
    const baseline = process.memoryUsage();
    let peakRss = baseline.rss;
    let peakHeap = baseline.heapUsed;
    const started = performance.now();
    const res = await gw.adminFetch("/admin/usage/export.csv");
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let lines = 0;
    let bytes = 0;
    let firstChunkMs: number | null = null;
    let sampledAt = 0;
    const trace: number[][] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      firstChunkMs ??= performance.now() - started;
      bytes += value.byteLength;
      // Count the records and let the bytes go: nothing of the body is kept.
      for (let i = value.indexOf(10); i !== -1; i = value.indexOf(10, i + 1)) lines++;
      const now = performance.now();
      if (now - sampledAt > 20) {
        sampledAt = now;
        const usage = process.memoryUsage();
        peakRss = Math.max(peakRss, usage.rss);
        peakHeap = Math.max(peakHeap, usage.heapUsed);
        const growth = (now: number, then: number) => Math.round((now - then) / MiB);
        trace.push([lines, growth(usage.rss, baseline.rss), growth(usage.heapUsed, baseline.heapUsed)]);
      }
    }
    const totalMs = performance.now() - started;
    const figures = {
      rows: lines - 1,
      megabytes: Math.round(bytes / MiB),
      totalMs: Math.round(totalMs),
      firstChunkMs: Math.round(firstChunkMs ?? 0),
      rowsPerSecond: Math.round(((lines - 1) / totalMs) * 1000),
      peakRssGrowthMiB: Math.round((peakRss - baseline.rss) / MiB),
      peakHeapGrowthMiB: Math.round((peakHeap - baseline.heapUsed) / MiB),
    };
    console.log("export figures", figures);
    const samples = trace.filter((_, i) => i % 40 === 0).map((t) => t.join("/"));
    console.log("rows read / RSS growth MiB / heap growth MiB:", samples.join(" "));
    expect(lines).toBe(ROWS + 1);
    expect(firstChunkMs!).toBeLessThan(totalMs / 10);
    expect(peakRss - baseline.rss).toBeLessThan(MAX_RSS_GROWTH);
    expect(peakHeap - baseline.heapUsed).toBeLessThan(MAX_HEAP_GROWTH);
    // Flat, not merely small: the second half of the rows adds (almost) nothing to the first's peak.
    const peakOf = (keep: (rowsRead: number) => boolean) =>
      Math.max(...trace.filter(([n]) => keep(n!)).map(([, rss]) => rss!));
    expect(peakOf((n) => n > ROWS / 2) - peakOf((n) => n <= ROWS / 2)).toBeLessThan(50);
  }, 60_000);
});
