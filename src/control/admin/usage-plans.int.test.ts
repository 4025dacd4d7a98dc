import { describe, expect, test } from "bun:test";
import { groupUsageQuery } from "../../store/repos/usage-groups.ts";
import { usageRowsQuery } from "../../store/repos/usage-export.ts";
import { summaryQuery, type UsageFilter } from "../../store/repos/usage-summary.ts";
import { integrationServices } from "../../testing/services.ts";
import { describePlan, queryPlanFixture, type PlanNode } from "../../testing/query-plans.ts";

const services = await integrationServices();

/**
 * Usage queries are time-range queries, mostly for one key: at ledger scale a Seq Scan of
 * usage_events reads every request ever made to answer for one day or one key. These plans
 * must go through the ledger's indexes: the (created_at, id) key for a window across keys, (key_id,
 * created_at) for one key. 50,000 rows after ANALYZE make the planner's choice a real one (on
 * a near-empty table a Seq Scan is cheapest and proves nothing).
 */

/** The (created_at, id) primary key: a partition names its copy `<partition>_pkey`. */
const TIME_KEY = /^usage_events.*(_pkey|_created_at_id_pk)$/;
const KEY = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
const DAY = 86_400_000;
const START = Date.parse("2030-03-01T00:00:00Z");

describe.skipIf(!services.postgres || !services.redis)("usage query plans (PostgreSQL)", () => {
  // 50,000 requests over ~35 days (one a minute), 100 keys, 10 projects, 5 models.
  const fixture = queryPlanFixture(
    "usage_events",
    `
      insert into usage_events (request_id, key_id, project_id, route, model, provider, status, status_code,
        latency_ms, input_tokens, output_tokens, total_tokens, estimated_cost_usd, created_at)
      select 'req-' || i,
        ('00000000-0000-4000-8000-' || lpad((i % 100)::text, 12, '0'))::uuid,
        ('00000000-0000-4000-9000-' || lpad((i % 10)::text, 12, '0'))::uuid,
        '/v1/chat/completions', 'model-' || (i % 5), 'litellm',
        case when i % 20 = 0 then 'failure' else 'success' end, case when i % 20 = 0 then 502 else 200 end,
        i % 900, 10, 5, 15, 0.001, timestamptz '2030-03-01T00:00:00Z' + i * interval '1 minute'
      from generate_series(0, 49999) as i`,
  );
  const sql = () => fixture.sql();
  const db = () => fixture.db();

  async function plan(query: { toSQL(): { sql: string; params: unknown[] } }): Promise<PlanNode[]> {
    const nodes = await fixture.plan(query);
    console.log(describePlan(nodes).join(" <- "));
    return nodes;
  }

  /**
   * usage_events is partitioned by month: the plan reads partitions, and empty ones (the months
   * kept ready ahead of time) may be "scanned" sequentially for free. No partition that holds
   * rows may be read sequentially, and the expected index must be used.
   */
  async function expectIndexPlan(nodes: PlanNode[], index: RegExp) {
    const filled = new Set(
      (await sql().unsafe("select distinct tableoid::regclass::text as name from usage_events")).map((r) => r.name as string),
    );
    expect(filled.size).toBeGreaterThan(0);
    const seqScans = nodes.filter((n) => n["Node Type"] === "Seq Scan" && filled.has(n["Relation Name"] ?? ""));
    expect(describePlan(seqScans)).toEqual([]);
    const indexes = nodes.filter((n) => n["Index Name"]?.startsWith("usage_events")).map((n) => n["Index Name"]!);
    expect(indexes.some((name) => index.test(name))).toBe(true);
  }

  const day = (n: number) => new Date(START + n * DAY);
  const window: UsageFilter = { from: day(10), to: day(11) };

  test("by-key over one day reads the (created_at, id) key", async () => {
    const nodes = await plan(groupUsageQuery(db(), "key", window, { limit: 100, after: null }));
    await expectIndexPlan(nodes, TIME_KEY);
  });

  test("summary for one key over a week reads the (key_id, created_at) index", async () => {
    const nodes = await plan(summaryQuery(db(), { keyId: KEY(7), from: day(3), to: day(10) }));
    await expectIndexPlan(nodes, /key/);
  });

  test("an export chunk for one key reads the (key_id, created_at) index, from the start or after a cursor", async () => {
    const range = { filter: { keyId: KEY(7) }, after: null, until: null };
    await expectIndexPlan(await plan(usageRowsQuery(db(), range, 5000)), /key/);
    const after = { createdAt: "2030-03-05T00:00:00.000000Z", id: "9000" };
    const next = { filter: { keyId: KEY(7), from: day(1) }, after, until: null };
    await expectIndexPlan(await plan(usageRowsQuery(db(), next, 5000)), /key/);
  });

  test("an export chunk across keys walks the (created_at, id) key in order (no sort of the whole ledger)", async () => {
    const after = { createdAt: "2030-03-20T00:00:00.000000Z", id: "27360" };
    const nodes = await plan(usageRowsQuery(db(), { filter: {}, after, until: null }, 5000));
    await expectIndexPlan(nodes, TIME_KEY);
    expect(nodes.some((n) => n["Node Type"] === "Sort")).toBe(false);
  });
});
