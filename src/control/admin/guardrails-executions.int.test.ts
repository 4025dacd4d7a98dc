import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ExecutionView as Execution } from "../../store/repos/guardrails-executions.ts";
import { guardrailExecutionEvents } from "../../store/schema.ts";
import { integrationServices } from "../../testing/services.ts";
import { newOperatorToken, startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { call, expectError, jsonOf } from "./admin-test-helpers.ts";

const services = await integrationServices();

const KEY_A = "11111111-1111-4111-8111-111111111111";
const KEY_B = "22222222-2222-4222-8222-222222222222";
const T0 = Date.parse("2030-03-01T00:00:00Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

type Mode = "pre_call" | "post_call" | "during_call";
type Action = "allow" | "modify" | "block" | "warn";
interface Row {
  name: string;
  mode: Mode;
  action: Action;
  latency: number;
  minute: number;
  key?: string;
  failed?: boolean;
}

// Ten events over ten minutes; `minute` doubles as the expected newest-first order.
const ROWS: Row[] = [
  { name: "pii-redact", mode: "pre_call", action: "modify", latency: 2, minute: 0, key: KEY_A },
  { name: "pii-redact", mode: "pre_call", action: "modify", latency: 4, minute: 1, key: KEY_A },
  { name: "pii-redact", mode: "pre_call", action: "allow", latency: 1, minute: 2, key: KEY_B },
  { name: "pii-redact", mode: "during_call", action: "modify", latency: 3, minute: 3, key: KEY_A },
  { name: "tox", mode: "pre_call", action: "block", latency: 40, minute: 4, key: KEY_B },
  { name: "tox", mode: "pre_call", action: "warn", latency: 1500, minute: 5, key: KEY_B, failed: true },
  { name: "tox", mode: "pre_call", action: "warn", latency: 100, minute: 6, key: KEY_A, failed: true },
  { name: "tox", mode: "pre_call", action: "warn", latency: 200, minute: 7, key: KEY_A },
  { name: "tox", mode: "post_call", action: "allow", latency: 10, minute: 8 },
  { name: "tox", mode: "post_call", action: "allow", latency: 30, minute: 9 },
];


describe.skipIf(!services.postgres || !services.redis)("guardrail executions and summary", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
    await gw.gateway.database.db.insert(guardrailExecutionEvents).values(
      ROWS.map((row) => ({
        requestId: `req-${row.minute}`,
        keyId: row.key ?? null,
        guardrailName: row.name,
        mode: row.mode,
        action: row.action,
        failurePolicy: "fail_open" as const,
        latencyMs: row.latency,
        failed: row.failed ?? false,
        reason: row.failed ? "timeout" : null,
        counts: row.name === "pii-redact" ? { email: 1 } : ({} as Record<string, number>),
        createdAt: at(row.minute),
      })),
    );
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const list = async (query: string) =>
    jsonOf<{ data: Execution[]; next_cursor: string | null }>(
      await call(gw, "GET", `/admin/guardrails/executions${query}`),
      200,
    );
  const minutes = (page: { data: Execution[] }) => page.data.map((e) => Number(e.request_id.slice(4)));

  test("newest first, the whole row, no content", async () => {
    const page = await list("");
    expect(minutes(page)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(page.next_cursor).toBeNull();
    expect(page.data.find((e) => e.request_id === "req-5")).toEqual({
      id: expect.any(Number),
      request_id: "req-5",
      key_id: KEY_B,
      project_id: null,
      guardrail: "tox",
      mode: "pre_call",
      action: "warn",
      failure_policy: "fail_open",
      latency_ms: 1500,
      failed: true,
      reason: "timeout",
      counts: {},
      created_at: "2030-03-01T00:05:00.000Z",
    });
  });

  test("filters: guardrail, mode, action, key_id, from (inclusive), to (exclusive)", async () => {
    expect(minutes(await list("?guardrail=pii-redact"))).toEqual([3, 2, 1, 0]);
    expect(minutes(await list("?mode=during_call"))).toEqual([3]);
    expect(minutes(await list("?action=warn"))).toEqual([7, 6, 5]);
    expect(minutes(await list(`?key_id=${KEY_A}&guardrail=tox`))).toEqual([7, 6]);
    const range = `?from=${at(2).toISOString()}&to=${at(5).toISOString()}`;
    expect(minutes(await list(range))).toEqual([4, 3, 2]);
    expect(minutes(await list("?guardrail=ghost"))).toEqual([]);
  });

  test("pages newest first with an opaque cursor, stable while rows arrive", async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { data: Execution[]; next_cursor: string | null } = await list(
        `?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...minutes(page));
      cursor = page.next_cursor;
      if (pages++ === 0) {
        // A newer event after the first page is not seen by the pages that follow.
        await gw.gateway.database.db.insert(guardrailExecutionEvents).values({
          requestId: "req-99",
          guardrailName: "tox",
          mode: "pre_call",
          action: "allow",
          failurePolicy: "fail_open",
          createdAt: at(99),
        });
      }
    } while (cursor !== null);
    expect(pages).toBe(4);
    expect(seen).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  test("summary: per guardrail × mode × action, count, failures, avg and p95 latency", async () => {
    const summary = await jsonOf<{ data: unknown[]; next_cursor: null }>(
      await call(gw, "GET", `/admin/guardrails/summary?to=${at(10).toISOString()}`),
      200,
    );
    type Stats = [count: number, failures: number, avg: number, p95: number];
    const row = (guardrail: string, mode: Mode, action: Action, ...[count, failures, avg, p95]: Stats) => ({
      guardrail,
      mode,
      action,
      count,
      failures,
      avg_latency_ms: avg,
      p95_latency_ms: p95,
    });
    expect(summary).toEqual({
      data: [
        row("pii-redact", "during_call", "modify", 1, 0, 3, 3),
        row("pii-redact", "pre_call", "allow", 1, 0, 1, 1),
        row("pii-redact", "pre_call", "modify", 2, 0, 3, 3.9),
        row("tox", "post_call", "allow", 2, 0, 20, 29),
        row("tox", "pre_call", "block", 1, 0, 40, 40),
        row("tox", "pre_call", "warn", 3, 2, 600, 1370),
      ],
      next_cursor: null,
    });
    const filtered = await jsonOf<{ data: { count: number }[] }>(
      await call(gw, "GET", `/admin/guardrails/summary?guardrail=tox&mode=pre_call&action=warn&key_id=${KEY_A}`),
      200,
    );
    expect(filtered.data).toEqual([row("tox", "pre_call", "warn", 2, 1, 150, 195)]);
    const empty = await call(gw, "GET", "/admin/guardrails/summary?guardrail=ghost");
    expect(await jsonOf(empty, 200)).toEqual({ data: [], next_cursor: null });
  });

  test("invalid filters are 400 invalid_admin_payload naming the field", async () => {
    const cases: [string, string, string][] = [
      ["executions", "mode=always", "field `mode`: must be one of"],
      ["executions", "action=deny", "field `action`"],
      ["executions", "key_id=nope", "field `key_id`: must be a UUID"],
      ["executions", "from=yesterday", "field `from`: must be an RFC 3339"],
      ["executions", "guardrail=Bad%20Name", "field `guardrail`"],
      ["executions", "cursor=abc", "field `cursor`: is not a cursor this list returned"],
      ["executions", "limit=1001", "field `limit`"],
      ["executions", `from=${at(5).toISOString()}&to=${at(5).toISOString()}`, "field `to`: must be later than `from`"],
      ["summary", "limit=5", "field `limit`: is not a known field"],
      ["summary", "to=2030-01-01", "field `to`"],
    ];
    for (const [path, query, message] of cases) {
      await expectError(await call(gw, "GET", `/admin/guardrails/${path}?${query}`), "invalid_admin_payload", message);
    }
  });

  test("both need the operator token", async () => {
    for (const path of ["/admin/guardrails/executions", "/admin/guardrails/summary", "/admin/guardrails"]) {
      const wrong = await gw.adminFetch(path, { headers: { authorization: `Bearer ${newOperatorToken()}` } });
      await expectError(wrong, "invalid_operator_token");
      await expectError(await fetch(`${gw.controlUrl}${path}`), "missing_authorization");
    }
  });
});
