import { afterAll, beforeAll } from "bun:test";
import postgres from "postgres";
import { startTestGateway, type TestGateway } from "./test-gateway.ts";

/** One node of `EXPLAIN (FORMAT JSON)`, with the fields the plan tests read. */
export interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

/** `Index Scan using x on t`, one line per node, for messages and logs. */
export const describePlan = (nodes: PlanNode[]) =>
  nodes.map((n) => {
    const index = n["Index Name"] ? ` using ${n["Index Name"]}` : "";
    return `${n["Node Type"]}${index}${n["Relation Name"] ? ` on ${n["Relation Name"]}` : ""}`;
  });

/**
 * A gateway (migrated database) whose `table` is filled by `seed` and analyzed before the tests
 * of the enclosing describe, and `plan()`: the nodes of an unexecuted drizzle query's plan, root
 * first. Rows enough make the planner's choice a real one (on a near-empty table a Seq Scan is
 * cheapest and proves nothing).
 */
export function queryPlanFixture(table: string, seed: string) {
  let gw: TestGateway;
  let sql: postgres.Sql;
  beforeAll(async () => {
    gw = await startTestGateway();
    sql = postgres(gw.database!.url, { max: 1, onnotice: () => {} });
    await sql.unsafe(seed);
    await sql.unsafe(`analyze ${table}`);
  });
  afterAll(async () => {
    await sql?.end({ timeout: 2 });
    await gw?.stop();
  });
  return {
    db: () => gw.gateway.database.db,
    sql: () => sql,
    async plan(query: { toSQL(): { sql: string; params: unknown[] } }): Promise<PlanNode[]> {
      const { sql: text, params } = query.toSQL();
      const [row] = await sql.unsafe(`explain (format json) ${text}`, params as never[]);
      return nodesOf((row!["QUERY PLAN"] as { Plan: PlanNode }[])[0]!.Plan);
    },
  };
}
