import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectPostgres } from "../../store/db.ts";
import { integrationServices } from "../../testing/services.ts";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { call, expectError, jsonOf } from "./admin-test-helpers.ts";
import { createUsageExportRoutes } from "./usage-export.ts";
import { EXPORT_COLUMNS } from "./usage-export-format.ts";
import { AWKWARD_MODEL, DDE_MODEL, KEY_1, parseCsv, SEED, seedUsage, type Summary } from "./usage-test-data.ts";

const services = await integrationServices();

type Row = Record<(typeof EXPORT_COLUMNS)[number], unknown>;
type JsonExport = { data: Row[]; next_cursor: string | null };

describe.skipIf(!services.postgres || !services.redis)("usage exports (PostgreSQL)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
    await seedUsage(gw.gateway.database.db, SEED);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const summary = async (query: string) => jsonOf<Summary>(await call(gw, "GET", `/admin/usage/summary?${query}`), 200);
  const exportJson = async (query: string) =>
    jsonOf<JsonExport>(await call(gw, "GET", `/admin/usage/export.json?${query}`), 200);
  async function exportCsv(query: string): Promise<{ res: Response; records: string[][]; text: string }> {
    const res = await call(gw, "GET", `/admin/usage/export.csv?${query}`);
    const text = await res.text();
    expect(res.status).toBe(200);
    return { res, text, records: parseCsv(text) };
  }

  const queries = [
    "",
    `key_id=${KEY_1}`,
    "model=gpt-4o",
    "status=failure",
    "from=2030-01-01T01:00:00Z&to=2030-01-03T12:00:00Z",
    "task_id=t-1&provider=litellm",
    "route=/none",
  ];
  for (const query of queries) {
    test(`JSON and CSV hold exactly the rows the summary counts (${query || "no filter"})`, async () => {
      const expected = await summary(query);
      const json = await exportJson(query);
      expect(json.next_cursor).toBeNull();
      expect(json.data).toHaveLength(expected.request_count);
      expect(json.data.reduce((sum, row) => sum + (row.estimated_cost_usd as number), 0)).toBe(expected.estimated_cost_usd);

      const { res, records } = await exportCsv(query);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(res.headers.get("x-next-cursor")).toBeNull();
      const [header, ...rows] = records;
      expect(header).toEqual([...EXPORT_COLUMNS]);
      expect(rows).toHaveLength(expected.request_count);
      const cost = EXPORT_COLUMNS.indexOf("estimated_cost_usd");
      expect(rows.reduce((sum, row) => sum + Number(row[cost]), 0)).toBe(expected.estimated_cost_usd);
      // The same rows in the same order in both formats.
      expect(rows.map((row) => row[0])).toEqual(json.data.map((row) => String(row.id)));
    });
  }

  test("JSON rows carry every ledger field, typed, in (created_at, id) order", async () => {
    const { data } = await exportJson("");
    expect(data[0]).toEqual({
      id: expect.any(Number),
      request_id: "r1",
      created_at: "2030-01-01T00:10:00.123000Z",
      key_id: KEY_1,
      project_id: SEED[0]!.projectId,
      route: "/v1/chat/completions",
      model: "gpt-4o",
      provider: "litellm",
      service_name: null,
      task_id: "t-1",
      run_id: "run-a",
      status: "success",
      status_code: 200,
      error_code: null,
      stream: true,
      latency_ms: 100,
      first_token_ms: 40,
      input_tokens: 10,
      output_tokens: 5,
      total_tokens: 15,
      estimated_cost_usd: 0.5,
      fallback_count: 0,
      guardrails: ["pii-redact", "toxicity"],
    });
    expect(data.map((row) => row.request_id)).toEqual(SEED.map((row) => row.requestId));
    const tied = data.slice(-2).map((row) => row.id as number);
    expect(tied[0]).toBeLessThan(tied[1]!);
  });

  test("CSV neutralises formula cells, keeps numbers numeric, and survives a round trip", async () => {
    const { res, text, records } = await exportCsv("from=2030-01-01T00:00:00Z&to=2030-02-01T00:00:00Z");
    const fileName = "usage-20300101T000000Z-20300201T000000Z.csv";
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${fileName}"`);
    expect(text.startsWith(`${EXPORT_COLUMNS.join(",")}\r\n`)).toBe(true);
    // The DDE payload is quoted and prefixed: a spreadsheet shows it as text.
    expect(text).toContain(`,"'${DDE_MODEL}",`);
    const column = (name: (typeof EXPORT_COLUMNS)[number]) => EXPORT_COLUMNS.indexOf(name);
    const byRequest = new Map(records.slice(1).map((row) => [row[column("request_id")], row]));
    expect(byRequest.get("'@r5")?.[column("model")]).toBe(`'${DDE_MODEL}`);
    expect(byRequest.get("'-r2+1")?.[column("fallback_count")]).toBe("1");
    expect(byRequest.get("r6")?.[column("model")]).toBe(AWKWARD_MODEL);
    expect(byRequest.get("r1")).toEqual([
      expect.stringMatching(/^\d+$/),
      ...["r1", "2030-01-01T00:10:00.123000Z", KEY_1, SEED[0]!.projectId!, "/v1/chat/completions", "gpt-4o", "litellm"],
      ...["", "t-1", "run-a", "success", "200", "", "true", "100", "40", "10", "5", "15", "0.5", "0", "pii-redact;toxicity"],
    ]);
  });

  async function walk(format: "json" | "csv", query: string, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const after: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const res = await call(gw, "GET", `/admin/usage/export.${format}?${query}&limit=${limit}${after}`);
      const header = res.headers.get("x-next-cursor");
      if (format === "json") {
        const page = await jsonOf<JsonExport>(res, 200);
        expect(page.next_cursor).toBe(header);
        expect(page.data.length).toBe(page.next_cursor ? limit : page.data.length);
        ids.push(...page.data.map((row) => String(row.id)));
      } else {
        const [head, ...rows] = parseCsv(await res.text());
        expect(head).toEqual([...EXPORT_COLUMNS]);
        ids.push(...rows.map((row) => row[0]!));
      }
      cursor = header;
      if (!cursor) return ids;
    }
    throw new Error("paging did not end");
  }

  test("limit + cursor pages cover every row once, in order, in both formats", async () => {
    for (const query of ["", "status=success", `key_id=${KEY_1}`]) {
      const all = (await exportJson(query)).data.map((row) => String(row.id));
      for (const limit of [1, 2, 3, 100]) {
        expect(await walk("json", query, limit)).toEqual(all);
        expect(await walk("csv", query, limit)).toEqual(all);
      }
    }
  });

  test("chunked streaming (any chunk size) writes the same body as one chunk", async () => {
    const db = gw.gateway.database.db;
    const whole = await (await createUsageExportRoutes({ db }).request("/export.json")).text();
    const wholeCsv = await (await createUsageExportRoutes({ db }).request("/export.csv")).text();
    for (const chunkRows of [1, 2, 3, 7]) {
      const app = createUsageExportRoutes({ db, chunkRows });
      expect(await (await app.request("/export.json")).text()).toBe(whole);
      expect(await (await app.request("/export.csv")).text()).toBe(wholeCsv);
      expect(JSON.parse(await (await app.request("/export.json?status=failure")).text()).data).toHaveLength(2);
    }
  });

  test("a cancelled download stops reading the ledger", async () => {
    // Its own connection, so the gateway's background work does not count.
    const database = connectPostgres(gw.database!.url);
    try {
      const res = await createUsageExportRoutes({ db: database.db, chunkRows: 1 }).request("/export.csv");
      const reader = res.body!.getReader();
      await reader.read(); // the header and the first row
      await reader.cancel();
      await Bun.sleep(50);
      const queries = database.stats.queries;
      await Bun.sleep(100);
      expect(database.stats.queries).toBe(queries);
      // The first row, one read ahead, perhaps one in flight: not the 8 a whole export takes.
      expect(queries).toBeLessThanOrEqual(3);
    } finally {
      await database.close();
    }
  });

  test("bad export parameters are 400 naming the field", async () => {
    const cases: [string, string][] = [
      ["export.csv?limit=0", "field `limit`: must be an integer from 1 to 100000"],
      ["export.json?limit=100001", "field `limit`"],
      ["export.csv?cursor=abc", "field `cursor`: is not a cursor this export returned"],
      ["export.json?key_id=x", "field `key_id`"],
      ["export.csv?format=xlsx", "field `format`: is not a known field"],
    ];
    for (const [path, message] of cases) {
      await expectError(await call(gw, "GET", `/admin/usage/${path}`), "invalid_admin_payload", message);
    }
  });
});
