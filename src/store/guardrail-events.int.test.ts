import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { asc, like, sql } from "drizzle-orm";
import pino from "pino";
import { Registry } from "prom-client";
import type { GuardrailRun } from "../guardrails/run.ts";
import { createTestDatabase, integrationServices, type TestDatabase } from "../testing/services.ts";
import { connectPostgres, type Database } from "./db.ts";
import {
  createGuardrailEventWriter,
  eventRowsOf,
  type GuardrailEventRow,
  type GuardrailEventWriter,
  type GuardrailEventWriterOptions,
} from "./guardrail-events.ts";
import { guardrailExecutionEvents } from "./schema.ts";
import { APPEND_BATCH_ROWS } from "./usage-batch.ts";

const services = await integrationServices();
const KEY = "00000000-0000-4000-8000-000000000001";
const PROJECT = "00000000-0000-4000-8000-000000000002";

/** While `down`, every append fails the way the driver reports a refused connection. */
function faultInjector(real: Database) {
  const state = { down: false, attempts: 0 };
  const database: Pick<Database, "insertColumns"> = {
    insertColumns(...args) {
      if (!state.down) return real.insertColumns(...args);
      state.attempts++;
      // A wrapper whose message carries row values, as drizzle's does: it must never be logged.
      const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
      return Promise.reject(new Error("Failed query: insert into guardrail_execution_events ... params: secret", { cause }));
    },
  };
  return { database, state };
}

function row(requestId: string, over: Partial<GuardrailEventRow> = {}): GuardrailEventRow {
  return {
    requestId,
    keyId: KEY,
    projectId: PROJECT,
    guardrailName: "pii-redact",
    mode: "pre_call",
    action: "modify",
    failurePolicy: "fail_closed",
    latencyMs: 3,
    failed: false,
    reason: null,
    counts: { email: 2, phone: 1 },
    ...over,
  };
}

describe.skipIf(!services.postgres)("guardrail event writer (PostgreSQL)", () => {
  let testDb: TestDatabase;
  let database: Database;
  let logs: string[];
  const writers: GuardrailEventWriter[] = [];
  const logger = pino({ level: "trace" }, { write: (line: string) => void logs.push(line) });

  function writer(over: Partial<GuardrailEventWriterOptions> = {}): GuardrailEventWriter {
    const created = createGuardrailEventWriter({ database, logger, flushIntervalMs: 20, retryBaseMs: 5, retryMaxMs: 40, ...over });
    writers.push(created);
    return created;
  }
  const stored = (prefix: string) =>
    database.db
      .select()
      .from(guardrailExecutionEvents)
      .where(like(guardrailExecutionEvents.requestId, `${prefix}%`))
      .orderBy(asc(guardrailExecutionEvents.id));
  const logLines = (msg: string) => logs.filter((l) => (JSON.parse(l) as { msg: string }).msg.includes(msg));

  beforeAll(async () => {
    testDb = await createTestDatabase();
    database = connectPostgres(testDb.url);
    await database.migrate();
  });
  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
  });
  beforeEach(async () => {
    logs = [];
    await database.db.execute(sql`truncate guardrail_execution_events`);
  });
  afterEach(async () => {
    for (const w of writers.splice(0)) await w.close(100);
  });

  test("2,500 rows: two appends of at most APPEND_BATCH_ROWS, every field stored as recorded, createdAt set on record", async () => {
    const w = writer();
    const before = database.stats.queries;
    const recordedAt = Date.now();
    for (let i = 0; i < 2_500; i++) w.record([row(`burst-${String(i).padStart(5, "0")}`)]);
    await w.flush();
    expect(APPEND_BATCH_ROWS).toBe(2_000);
    expect(database.stats.queries - before).toBe(2);
    expect(w.stats()).toEqual({ queued: 0, written: 2_500, batches: 2, failures: 0, rejected: 0, overflowed: 0, unwritten: 0 });
    const rows = await stored("burst-");
    expect(rows.map((r) => r.requestId)).toEqual(Array.from({ length: 2_500 }, (_, i) => `burst-${String(i).padStart(5, "0")}`));
    const { id, createdAt, ...first } = rows[0]!;
    expect(first).toEqual(row("burst-00000"));
    expect(typeof id).toBe("number");
    expect(Math.abs(createdAt.getTime() - recordedAt)).toBeLessThan(5_000);
  });

  test("a few rows are written after flushIntervalMs without flush(); eventRowsOf maps a request's runs", async () => {
    const w = writer({ flushIntervalMs: 30 });
    const runs: GuardrailRun[] = [
      { name: "pii-redact", mode: "pre_call", action: "modify", failurePolicy: "fail_closed", failed: false, latencyMs: 1, reason: null, counts: { ssn: 1 } },
      { name: "moderator", mode: "post_call", action: "warn", failurePolicy: "fail_open", failed: true, latencyMs: 1500, reason: "timeout", counts: {} },
    ];
    w.record(eventRowsOf(runs, { requestId: "timed-1", keyId: null, projectId: null }));
    const until = Date.now() + 3_000;
    while ((await stored("timed-")).length < 2 && Date.now() < until) await Bun.sleep(10);
    const rows = (await stored("timed-")).map(({ id: _id, createdAt: _at, ...r }) => r);
    expect(rows).toEqual([
      row("timed-1", { keyId: null, projectId: null, latencyMs: 1, counts: { ssn: 1 } }),
      row("timed-1", {
        keyId: null,
        projectId: null,
        guardrailName: "moderator",
        mode: "post_call",
        action: "warn",
        failurePolicy: "fail_open",
        failed: true,
        latencyMs: 1500,
        reason: "timeout",
        counts: {},
      }),
    ]);
  });

  test("a steady trickle is written in few INSERTs: rows arriving during a write wait for flushIntervalMs or a full batch", async () => {
    // Each INSERT takes 20 ms, as on a busy server: rows keep arriving while one is in flight.
    let inserts = 0;
    const slow: Pick<Database, "insertColumns"> = {
      insertColumns: async (...args) => {
        inserts++;
        await Bun.sleep(20);
        return database.insertColumns(...args);
      },
    };
    const intervalMs = 150;
    const w = writer({ database: slow, flushIntervalMs: intervalMs });
    const started = performance.now();
    for (let i = 0; i < 300; i++) {
      w.record([row(`trickle-${String(i).padStart(3, "0")}`)]);
      await Bun.sleep(2);
    }
    const elapsed = performance.now() - started;
    const writes = inserts;
    await w.flush();
    // About one INSERT per interval (not one per round trip, which would be dozens).
    expect(writes).toBeLessThanOrEqual(Math.ceil(elapsed / intervalMs) + 1);
    expect((await stored("trickle-")).map((r) => r.requestId)).toEqual(Array.from({ length: 300 }, (_, i) => `trickle-${String(i).padStart(3, "0")}`));
    expect(w.stats()).toMatchObject({ queued: 0, written: 300, failures: 0 });
  });

  test("reason cut to 500 characters (never inside a surrogate pair); latency clamped to an integer", async () => {
    const w = writer();
    w.record([
      row("reason-1", { reason: "x".repeat(2_000) }),
      row("reason-2", { reason: `${"y".repeat(499)}😀tail` }),
      row("reason-3", { latencyMs: 12.7 }),
      row("reason-4", { latencyMs: Number.NaN }),
      row("reason-5", { reason: "nul\u0000byte" }),
    ]);
    await w.flush();
    const rows = await stored("reason-");
    expect(rows.map((r) => r.reason)).toEqual(["x".repeat(500), "y".repeat(499), null, null, "nulbyte"]);
    expect(rows.map((r) => r.latencyMs)).toEqual([3, 3, 13, 0, 3]);
  });

  test("bad rows are dropped and counted, their neighbours written, no row value logged", async () => {
    const registry = new Registry();
    const w = writer({ registry });
    w.record([
      row("bad-1"),
      row("bad-2", { keyId: "not-a-uuid-secret-value" }),
      row("bad-3"),
      row("bad-4", { mode: "sideways" as never }),
      row("bad-5"),
      row("bad-6", { counts: { email: 1n as never } }),
      null as never,
    ]);
    await w.flush();
    expect((await stored("bad-")).map((r) => r.requestId)).toEqual(["bad-1", "bad-3", "bad-5"]);
    expect(w.stats()).toMatchObject({ queued: 0, written: 3, rejected: 4, failures: 0 });
    expect(logLines("row rejected")).toHaveLength(3);
    expect(logs.join("\n")).not.toContain("not-a-uuid-secret-value");
    expect(await registry.getSingleMetricAsString("relayna_guardrail_events_dropped_total")).toContain('relayna_guardrail_events_dropped_total{reason="rejected"} 4');
  });

  test("database down: rows stay queued and are retried with backoff; one error line per outage; written once it is back", async () => {
    const { database: faulty, state } = faultInjector(database);
    const w = writer({ database: faulty });
    state.down = true;
    w.record([row("outage-1"), row("outage-2")]);
    const until = Date.now() + 3_000;
    while (state.attempts < 3 && Date.now() < until) await Bun.sleep(5);
    expect(w.stats()).toMatchObject({ queued: 2, written: 0 });
    expect(w.stats().failures).toBeGreaterThanOrEqual(3);
    w.record([row("outage-3")]);
    state.down = false;
    await w.flush();
    expect((await stored("outage-")).map((r) => r.requestId)).toEqual(["outage-1", "outage-2", "outage-3"]);
    expect(logLines("database write failed")).toHaveLength(1);
    expect(logLines("writes recovered")).toHaveLength(1);
    expect(logs.join("\n")).not.toContain("secret");
  });

  test("overflow beyond maxQueue is dropped and counted; record() never throws; close() drops what it could not write", async () => {
    const { database: faulty, state } = faultInjector(database);
    const registry = new Registry();
    const w = writer({ database: faulty, batchSize: 10, maxQueue: 50, registry });
    state.down = true;
    for (let i = 0; i < 80; i++) w.record([row(`overflow-${i}`)]);
    expect(() => w.record(undefined as never)).not.toThrow();
    expect(() => w.record([{ counts: 1n } as never])).not.toThrow();
    expect(w.stats()).toMatchObject({ queued: 50, overflowed: 31 });
    expect(logLines("queue full")).toHaveLength(1);
    const started = Date.now();
    await w.close(100);
    expect(Date.now() - started).toBeLessThan(1_000);
    w.record([row("overflow-after-close")]);
    expect(w.stats()).toMatchObject({ queued: 0, written: 0, overflowed: 31, unwritten: 51 });
    const metrics = await registry.metrics();
    expect(metrics).toContain('relayna_guardrail_events_dropped_total{reason="overflow"} 31');
    expect(metrics).toContain('relayna_guardrail_events_dropped_total{reason="unwritten"} 51');
    expect(metrics).toContain("relayna_guardrail_events_queue_depth 0");
    state.down = false;
    expect(await stored("overflow-")).toEqual([]);
  });

  test("close() writes what is queued first", async () => {
    const w = writer({ flushIntervalMs: 10_000 });
    w.record([row("close-1"), row("close-2")]);
    await w.close();
    expect((await stored("close-")).map((r) => r.requestId)).toEqual(["close-1", "close-2"]);
    expect(w.stats()).toMatchObject({ written: 2, unwritten: 0 });
  });
});
