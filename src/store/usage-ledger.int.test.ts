import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asc, like, sql } from "drizzle-orm";
import pino from "pino";
import { Registry } from "prom-client";
import { createTestDatabase, integrationServices, type TestDatabase } from "../testing/services.ts";
import { connectPostgres, type Database } from "./db.ts";
import { usageEvents } from "./schema.ts";
import { APPEND_BATCH_ROWS } from "./usage-batch.ts";
import { createUsageLedger, type UsageLedger, type UsageLedgerOptions, type UsageRow } from "./usage-ledger.ts";
import { encodeSpillRow } from "./usage-spill.ts";
import { waitFor } from "../testing/wait.ts";

const services = await integrationServices();

/** What drizzle throws when postgres.js cannot connect: its wrapper (row values in the message) around the driver error. */
function connectionRefused(): Error {
  const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
  return new Error('Failed query: insert into "usage_events" ... params: secret-model-name', { cause });
}

/**
 * Fault injection around the real database: while `down`, every query fails as if PostgreSQL
 * refused the connection; while `hold` is set, INSERTs wait for it before really running.
 */
function faultInjector(real: Database) {
  const state = { down: false, hold: null as Promise<void> | null, attempts: 0 };
  const refuse = () => {
    state.attempts++;
    throw connectionRefused();
  };
  // Reads (the dedupe lookup) fail while down; appends fail too, and wait for `hold` when set.
  const db = new Proxy(real.db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop !== "select") return typeof value === "function" ? value.bind(target) : value;
      return (...args: unknown[]) => (state.down ? refuse() : (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
  const database: Pick<Database, "db" | "insertColumns"> = {
    db,
    insertColumns: async (...args) => {
      if (state.down) refuse();
      if (state.hold) await state.hold;
      return real.insertColumns(...args);
    },
  };
  return { database, state };
}

function row(requestId: string, over: Partial<UsageRow> = {}): UsageRow {
  return {
    requestId,
    keyId: "00000000-0000-4000-8000-000000000001",
    route: "chat-completions",
    model: "gpt-4o-mini",
    provider: "litellm",
    status: "success",
    statusCode: 200,
    latencyMs: 12,
    inputTokens: 3,
    outputTokens: 10,
    totalTokens: 13,
    estimatedCostUsd: 0.0001,
    guardrails: ["pii-redact"],
    ...over,
  };
}

describe.skipIf(!services.postgres)("usage ledger (PostgreSQL)", () => {
  let testDb: TestDatabase;
  let database: Database;
  let logs: string[];
  let spillDir: string;
  const spillDirs: string[] = [];
  const ledgers: UsageLedger[] = [];
  const logger = pino({ level: "trace" }, { write: (line: string) => void logs.push(line) });

  function ledger(over: Partial<UsageLedgerOptions> = {}): UsageLedger {
    const created = createUsageLedger({ database, logger, flushIntervalMs: 20, retryBaseMs: 5, retryMaxMs: 40, ...over });
    ledgers.push(created);
    return created;
  }
  const requestIds = async (prefix: string) =>
    (
      await database.db
        .select({ requestId: usageEvents.requestId })
        .from(usageEvents)
        .where(like(usageEvents.requestId, `${prefix}%`))
        .orderBy(asc(usageEvents.id))
    ).map((r) => r.requestId);
  const logLines = (msg: string) => logs.filter((l) => (JSON.parse(l) as { msg: string }).msg.includes(msg));
  const spillFiles = async () => (await readdir(spillDir).catch(() => [])).filter((f) => f.endsWith(".jsonl"));

  beforeAll(async () => {
    testDb = await createTestDatabase();
    database = connectPostgres(testDb.url);
    await database.migrate();
  });
  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
    for (const dir of spillDirs) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    logs = [];
    spillDir = await mkdtemp(join(tmpdir(), "usage-spill-"));
    spillDirs.push(spillDir);
    await database.db.execute(sql`truncate usage_events`);
  });
  afterEach(async () => {
    for (const l of ledgers.splice(0)) await l.close(100);
  });

  test("1,000 rows in a tight loop: all written in a few multi-row INSERTs; record() costs ~nothing", async () => {
    const l = ledger({ batchSize: 250, flushIntervalMs: 50 });
    const before = database.stats.queries;
    for (let i = 0; i < 1_000; i++) l.record(row(`burst-${String(i).padStart(5, "0")}`));
    await l.flush();
    expect(database.stats.queries - before).toBeLessThanOrEqual(Math.ceil(1_000 / 250) + 2);
    expect(l.stats()).toEqual({ queued: 0, written: 1_000, batches: 4, failures: 0, spilled: 0, dropped: 0 });
    const ids = await requestIds("burst-");
    expect(ids).toEqual(Array.from({ length: 1_000 }, (_, i) => `burst-${String(i).padStart(5, "0")}`));

    const [stored] = await database.db.select().from(usageEvents).where(like(usageEvents.requestId, "burst-00000"));
    expect(stored as unknown).toEqual({
      ...row("burst-00000"),
      id: expect.any(Number),
      projectId: null,
      serviceName: null,
      taskId: null,
      runId: null,
      errorCode: null,
      stream: false,
      firstTokenMs: null,
      fallbackCount: 0,
      createdAt: expect.any(Date),
    });

    const hot = ledger({ batchSize: 500 });
    const rows = Array.from({ length: 10_000 }, (_, i) => row(`hot-${i}`));
    const started = performance.now();
    for (const r of rows) hot.record(r);
    const elapsed = performance.now() - started;
    console.log(`record() x 10,000: ${elapsed.toFixed(2)} ms (${((elapsed * 1000) / 10_000).toFixed(2)} µs/row)`);
    expect(elapsed).toBeLessThan(50);
    await hot.flush();
    expect(hot.stats().written).toBe(10_000);
  });

  test("by default a burst goes out in appends of APPEND_BATCH_ROWS (fewer statements and commits per row)", async () => {
    const l = ledger();
    const before = database.stats.queries;
    for (let i = 0; i < 2_500; i++) l.record(row(`batch-${String(i).padStart(5, "0")}`));
    await l.flush();
    expect(APPEND_BATCH_ROWS).toBe(2_000);
    expect(database.stats.queries - before).toBe(2);
    expect(l.stats()).toMatchObject({ queued: 0, written: 2_500, batches: 2, failures: 0 });
    expect(await requestIds("batch-")).toHaveLength(2_500);
  });

  test("every field of a row is written as recorded", async () => {
    const l = ledger();
    const full: UsageRow = {
      ...row("full-1"),
      keyId: crypto.randomUUID(),
      projectId: crypto.randomUUID(),
      serviceName: "payments-api",
      taskId: "task-1",
      runId: "run-1",
      status: "failure",
      statusCode: 499,
      errorCode: "client_aborted",
      stream: true,
      firstTokenMs: 42,
      fallbackCount: 1,
      estimatedCostUsd: 0.00012345,
      createdAt: new Date("2026-11-26T10:00:00.123Z"),
    };
    l.record(full);
    await l.flush();
    const [stored] = await database.db.select().from(usageEvents).where(like(usageEvents.requestId, "full-%"));
    const { id, ...rest } = stored!;
    expect(id).toBeGreaterThan(0);
    expect(rest).toEqual(full as typeof rest);
  });

  test("a lone row is written about flushIntervalMs after it was recorded", async () => {
    const l = ledger({ flushIntervalMs: 100 });
    const recordedAt = Date.now();
    l.record(row("lone-1"));
    await Bun.sleep(60);
    expect(await requestIds("lone-")).toEqual([]); // batching: not written at once
    await waitFor(async () => (await requestIds("lone-")).length === 1, 2_000);
    const waited = Date.now() - recordedAt;
    expect(waited).toBeGreaterThanOrEqual(95);
    expect(waited).toBeLessThan(400);
    const [stored] = await database.db.select().from(usageEvents);
    expect(Math.abs(stored!.createdAt.getTime() - recordedAt)).toBeLessThan(5); // createdAt = time of record()
  });

  test("database down then back: rows kept in order, retried with backoff, one error line per outage", async () => {
    const fault = faultInjector(database);
    const l = ledger({ database: fault.database, batchSize: 100 });
    fault.state.down = true;
    for (let i = 0; i < 250; i++) l.record(row(`outage-${String(i).padStart(3, "0")}`, { model: "secret-model-name" }));
    await waitFor(() => l.stats().failures >= 4);
    expect(l.stats()).toMatchObject({ queued: 250, written: 0, dropped: 0 });
    fault.state.down = false;
    await l.flush();
    expect(await requestIds("outage-")).toEqual(Array.from({ length: 250 }, (_, i) => `outage-${String(i).padStart(3, "0")}`));
    expect(l.stats()).toMatchObject({ queued: 0, written: 250, dropped: 0 });

    fault.state.down = true; // a second outage gets its own line
    const failuresBefore = l.stats().failures;
    l.record(row("outage-999"));
    await waitFor(() => l.stats().failures >= failuresBefore + 2);
    fault.state.down = false;
    await l.flush();
    expect((await requestIds("outage-")).length).toBe(251);

    const errors = logLines("database write failed");
    expect(errors).toHaveLength(2);
    expect(JSON.parse(errors[0]!)).toMatchObject({ level: 50, code: "ECONNREFUSED", error: "connect ECONNREFUSED 127.0.0.1:5432" });
    expect(logLines("writes recovered")).toHaveLength(2);
    expect(logs.join("\n")).not.toContain("secret-model-name");
  });

  test("bad rows in a batch: good rows written, bad ones dropped and counted, queue not stuck", async () => {
    const l = ledger({ batchSize: 50, flushIntervalMs: 10_000 });
    const bad = new Map<number, Partial<UsageRow>>([
      [7, { inputTokens: -1 }], // 23514 check constraint
      [21, { statusCode: 2 ** 40 }], // 22003 integer out of range
    ]);
    for (let i = 0; i < 50; i++) l.record(row(`mixed-${String(i).padStart(2, "0")}`, bad.get(i)));
    await l.flush();
    const good = Array.from({ length: 50 }, (_, i) => i).filter((i) => !bad.has(i));
    expect(await requestIds("mixed-")).toEqual(good.map((i) => `mixed-${String(i).padStart(2, "0")}`));
    expect(l.stats()).toMatchObject({ queued: 0, written: 48, dropped: 2, failures: 0 });
    const rejected = logLines("rows rejected").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rejected.reduce((sum, line) => sum + (line.dropped as number), 0)).toBe(2);
    expect(logs.join("\n")).not.toContain("mixed-"); // counts and codes only, never rows

    l.record(row("after-bad"));
    await l.flush();
    expect(await requestIds("after-bad")).toEqual(["after-bad"]);
  });

  test("queue overflow while down: the overflow spills, then queue + spill land exactly once", async () => {
    const fault = faultInjector(database);
    const l = ledger({ database: fault.database, batchSize: 50, maxQueue: 100, spillDir });
    fault.state.down = true;
    const all = Array.from({ length: 250 }, (_, i) => `overflow-${String(i).padStart(3, "0")}`);
    for (const id of all) l.record(row(id));
    await waitFor(() => l.stats().spilled === 150);
    expect(l.stats()).toMatchObject({ queued: 100, spilled: 150, dropped: 0 });
    const files = await spillFiles();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^usage-spill-${process.pid}-\\d+\\.jsonl$`));
    const lines = (await readFile(join(spillDir, files[0]!), "utf8")).trim().split("\n");
    expect(lines.map((line) => (JSON.parse(line) as UsageRow).requestId)).toEqual(all.slice(100));

    fault.state.down = false;
    await waitFor(async () => (await spillFiles()).length === 0 && (await requestIds("overflow-")).length >= 250);
    expect(await requestIds("overflow-")).toEqual(all); // the kept queue first, then the spill, each once
    expect(l.stats()).toMatchObject({ queued: 0, written: 250, dropped: 0 });
  });

  test("without a spill directory the overflow is dropped and counted", async () => {
    const fault = faultInjector(database);
    const registry = new Registry();
    const l = ledger({ database: fault.database, batchSize: 10, maxQueue: 20, registry });
    fault.state.down = true;
    for (let i = 0; i < 25; i++) l.record(row(`nospill-${i}`));
    expect(l.stats()).toMatchObject({ queued: 20, dropped: 5, spilled: 0 });
    expect(await registry.metrics()).toContain("relayna_usage_ledger_dropped_total 5");
    fault.state.down = false;
    await l.flush();
    expect((await requestIds("nospill-")).length).toBe(20);
  });

  test("a spill file left by a previous process is replayed exactly once and deleted", async () => {
    const rows = Array.from({ length: 120 }, (_, i) =>
      row(`previous-${String(i).padStart(3, "0")}`, { createdAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, i)) }),
    );
    const torn = encodeSpillRow(row("previous-torn")).slice(0, 40); // the process died mid-append
    const file = join(spillDir, "usage-spill-4242-1767225600000.jsonl");
    await writeFile(file, rows.map(encodeSpillRow).join("") + torn);
    // It had already replayed the first 30 rows when it died.
    await database.db.insert(usageEvents).values(rows.slice(0, 30));

    const l = ledger({ batchSize: 50, spillDir });
    await waitFor(async () => (await spillFiles()).length === 0);
    expect(await requestIds("previous-")).toEqual(rows.map((r) => r.requestId));
    const [first] = await database.db.select().from(usageEvents).where(like(usageEvents.requestId, "previous-031"));
    expect(first!.createdAt).toEqual(rows[31]!.createdAt!);
    expect(l.stats()).toMatchObject({ written: 90, dropped: 1 });
    expect(logLines("unreadable spill lines")).toHaveLength(1);
  });

  test("close(): flushes everything at once when the database is up", async () => {
    const l = ledger({ flushIntervalMs: 60_000 });
    for (let i = 0; i < 30; i++) l.record(row(`close-up-${String(i).padStart(2, "0")}`));
    const started = Date.now();
    await l.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await requestIds("close-up-")).length).toBe(30);
    expect(l.stats()).toMatchObject({ queued: 0, written: 30, spilled: 0, dropped: 0 });
  });

  test("close() with the database down: resolves by the timeout, unwritten rows in the spill file", async () => {
    const fault = faultInjector(database);
    const l = ledger({ database: fault.database, spillDir, batchSize: 10 });
    fault.state.down = true;
    const ids = Array.from({ length: 40 }, (_, i) => `close-down-${String(i).padStart(2, "0")}`);
    for (const id of ids) l.record(row(id));
    const started = Date.now();
    await l.close(200);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(195);
    expect(took).toBeLessThan(700);
    l.record(row("close-down-late")); // after close: straight to the spill
    await l.flush();
    expect(l.stats()).toMatchObject({ queued: 0, written: 0, spilled: 41, dropped: 0 });
    const files = await spillFiles();
    const spilled = (await Promise.all(files.map((f) => readFile(join(spillDir, f), "utf8")))).join("").trim().split("\n");
    expect(spilled.map((line) => (JSON.parse(line) as UsageRow).requestId)).toEqual([...ids, "close-down-late"]);

    const next = ledger({ spillDir }); // the next process, the database back
    await waitFor(async () => (await spillFiles()).length === 0);
    expect(await requestIds("close-down-")).toEqual([...ids, "close-down-late"]);
    expect(next.stats().written).toBe(41);
  });

  test("close() timing out with an INSERT in flight: that batch, spilled too, is not written twice", async () => {
    const fault = faultInjector(database);
    let release!: () => void;
    fault.state.hold = new Promise<void>((resolve) => (release = resolve));
    const l = ledger({ database: fault.database, spillDir, batchSize: 20 });
    const ids = Array.from({ length: 30 }, (_, i) => `inflight-${String(i).padStart(2, "0")}`);
    for (const id of ids) l.record(row(id));
    await Bun.sleep(50); // the first batch of 20 is now held in flight
    await l.close(100);
    expect(l.stats().spilled).toBe(30);
    fault.state.hold = null;
    release(); // ... and then commits after all
    await waitFor(async () => (await requestIds("inflight-")).length === 20);

    ledger({ spillDir });
    await waitFor(async () => (await spillFiles()).length === 0);
    expect((await requestIds("inflight-")).sort()).toEqual(ids);
  });

  test("metrics on the registry: queue depth, counters, flush histogram", async () => {
    const fault = faultInjector(database);
    const registry = new Registry();
    const l = ledger({ database: fault.database, registry, batchSize: 10 });
    fault.state.down = true;
    for (let i = 0; i < 7; i++) l.record(row(`metrics-${i}`));
    await waitFor(() => l.stats().failures >= 1);
    let text = await registry.metrics();
    expect(text).toContain("relayna_usage_ledger_queue_depth 7");
    expect(text).toMatch(/relayna_usage_ledger_write_failures_total [1-9]/);
    fault.state.down = false;
    await l.flush();
    text = await registry.metrics();
    for (const line of [
      "relayna_usage_ledger_queue_depth 0",
      "relayna_usage_ledger_written_total 7",
      "relayna_usage_ledger_batches_total 1",
      "relayna_usage_ledger_spilled_total 0",
      "relayna_usage_ledger_dropped_total 0",
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toMatch(/relayna_usage_ledger_flush_seconds_count [2-9]/);
  });
});
