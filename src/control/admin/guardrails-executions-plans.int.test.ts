import { describe, expect, test } from "bun:test";
import { executionsPageQuery, type ExecutionFilter } from "../../store/repos/guardrails-executions.ts";
import { queryPlanFixture, type PlanNode } from "../../testing/query-plans.ts";
import { integrationServices } from "../../testing/services.ts";

const services = await integrationServices();

/**
 * The executions pages read guardrail_execution_events newest first. Its primary key is
 * (created_at, id), the pages' exact order: an unfiltered page, a page after a cursor and a time
 * window walk it backwards and stop after a page (no Sort of the table); a guardrail or a key
 * filter goes through its (…, created_at) index. 100,000 rows after ANALYZE make the planner's
 * choice a real one.
 */
const KEY = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
const TIME_KEY = "guardrail_execution_events_created_at_id_pk";

describe.skipIf(!services.postgres || !services.redis)("guardrail execution query plans (PostgreSQL)", () => {
  // One event a second for ~28 hours, 100 keys, one guardrail in fifty is "rare".
  const fixture = queryPlanFixture(
    "guardrail_execution_events",
    `insert into guardrail_execution_events (request_id, key_id, guardrail_name, mode, action, failure_policy, created_at)
      select 'req-' || i, ('00000000-0000-4000-8000-' || lpad((i % 100)::text, 12, '0'))::uuid,
        case when i % 50 = 0 then 'rare' else 'pii-redact' end,
        case when i % 2 = 0 then 'pre_call' else 'during_call' end, 'allow', 'fail_closed',
        timestamptz '2030-03-01T00:00:00Z' + i * interval '1 second'
      from generate_series(1, 100000) as i`,
  );
  const plan = (filter: ExecutionFilter, after: { createdAt: string; id: number } | null = null) =>
    fixture.plan(executionsPageQuery(fixture.db(), filter, { limit: 50, after }));
  const types = (nodes: PlanNode[]) => nodes.map((n) => n["Node Type"]);
  const indexes = (nodes: PlanNode[]) => nodes.flatMap((n) => (n["Index Name"] ? [n["Index Name"]] : []));

  test("unfiltered pages, from the start or after a cursor, walk the (created_at, id) key without a sort", async () => {
    for (const nodes of [await plan({}), await plan({}, { createdAt: "2030-03-01T20:00:00.000000Z", id: 72_000 })]) {
      expect(indexes(nodes)).toEqual([TIME_KEY]);
      expect(types(nodes)).not.toContain("Sort");
      expect(types(nodes)).not.toContain("Seq Scan");
    }
  });

  test("a time window walks the (created_at, id) key without a sort", async () => {
    const nodes = await plan({ from: new Date("2030-03-01T10:00:00Z"), to: new Date("2030-03-01T11:00:00Z") });
    expect(indexes(nodes)).toEqual([TIME_KEY]);
    expect(types(nodes)).not.toContain("Sort");
  });

  test("a rare guardrail or one key reads its own index", async () => {
    expect(indexes(await plan({ guardrail: "rare" }))).toEqual(["guardrail_execution_events_name_created_idx"]);
    expect(indexes(await plan({ keyId: KEY(7) }))).toEqual(["guardrail_execution_events_key_created_idx"]);
  });
});
