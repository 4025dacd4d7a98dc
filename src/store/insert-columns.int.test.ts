import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { asc, like } from "drizzle-orm";
import pino from "pino";
import { createTestDatabase, integrationServices, type TestDatabase } from "../testing/services.ts";
import { connectPostgres, openPglite, type ColumnSpec, type Database } from "./db.ts";
import { createGuardrailEventWriter, type GuardrailEventRow } from "./guardrail-events.ts";
import { guardrailExecutionEvents, usageEvents } from "./schema.ts";
import { appendUsageRows, insertIsolatingBadRows, isBadRowError } from "./usage-batch.ts";
import type { UsageRow } from "./usage-ledger.ts";

const services = await integrationServices();
const logger = pino({ level: "silent" });

/** Characters COPY text and array literals must escape, and some that must pass untouched. */
const AWKWARD = [
  "tab\there",
  "line\nbreak",
  "carriage\rreturn\r\n",
  "back\\slash \\\\ double, trailing \\",
  "\\N",
  "\\.",
  "\\.\n\\.",
  "NULL",
  "",
  ' "double" and \'single\' quotes, {braces}, a,b ',
  "ünïcödé ✓ 中文 🌍👩‍👩‍👧 \u{1F600}",
  "\\t not a tab, \\n not a newline",
];

function usageRow(i: number, value: string): UsageRow {
  return {
    requestId: `awkward-${String(i).padStart(2, "0")}`,
    keyId: crypto.randomUUID(),
    projectId: null,
    route: "/v1/chat/completions",
    model: value,
    provider: "litellm",
    serviceName: null,
    taskId: `${value}|task`,
    runId: value === "" ? null : value,
    status: "success",
    statusCode: 200,
    errorCode: null,
    stream: i % 2 === 0,
    latencyMs: i,
    firstTokenMs: null,
    inputTokens: 1,
    outputTokens: 2,
    totalTokens: 3,
    estimatedCostUsd: 0.00000012,
    fallbackCount: 0,
    guardrails: [value, `"${value}"`, "{x,y}", "NULL"],
    createdAt: new Date(Date.UTC(2026, 10, 26, 10, 0, 0, i)),
  };
}

function eventRow(i: number, value: string): GuardrailEventRow {
  return {
    requestId: `awkward-${String(i).padStart(2, "0")}`,
    keyId: null,
    projectId: null,
    guardrailName: "pii-redact",
    mode: "pre_call",
    action: "modify",
    failurePolicy: "fail_closed",
    latencyMs: i,
    failed: false,
    reason: value,
    counts: { [value]: i, "key\twith\\escapes\n": 1, "🌍": 2 },
  };
}

const BAD_UUID: ColumnSpec[] = [
  { name: "request_id", type: "text" },
  { name: "key_id", type: "uuid" },
  { name: "route", type: "text" },
  { name: "status", type: "text" },
  { name: "status_code", type: "int4" },
];
const minimal = (id: string, keyId: string | null = null) => [id, keyId, "/v1/embeddings", "success", "200"];
const columnsOf = (rows: (string | null)[][]) => BAD_UUID.map((_, c) => rows.map((r) => r[c]!));

interface Opened {
  database: Database;
  cleanup: () => Promise<void>;
  /** Another connection to the same database with a pool of `max` (PostgreSQL only). */
  pool?: (max: number) => Database;
}

function suite(name: string, open: () => Promise<Opened>, pooled = false) {
  describe(name, () => {
    let database: Database;
    let cleanup: () => Promise<void>;
    let pool: Opened["pool"];
    beforeAll(async () => {
      ({ database, cleanup, pool } = await open());
      await database.migrate();
    });
    afterAll(async () => {
      await cleanup?.();
    });
    const usage = (prefix: string) =>
      database.db.select().from(usageEvents).where(like(usageEvents.requestId, `${prefix}%`)).orderBy(asc(usageEvents.requestId));

    test("usage rows: tabs, newlines, backslashes, quotes, \\N, unicode and emoji round-trip exactly", async () => {
      const rows = AWKWARD.map((value, i) => usageRow(i, value));
      await appendUsageRows(database)(rows);
      const stored = (await usage("awkward-")).map(({ id: _id, ...rest }) => rest);
      expect(stored).toEqual(rows as typeof stored);
    });

    test("guardrail events: text and jsonb round-trip exactly", async () => {
      const writer = createGuardrailEventWriter({ database, logger });
      const rows = AWKWARD.map((value, i) => eventRow(i, value));
      writer.record(rows);
      await writer.close(5_000);
      expect(writer.stats()).toMatchObject({ written: rows.length, rejected: 0 });
      const stored = await database.db
        .select()
        .from(guardrailExecutionEvents)
        .where(like(guardrailExecutionEvents.requestId, "awkward-%"))
        .orderBy(asc(guardrailExecutionEvents.id));
      expect(stored.map(({ id: _id, createdAt: _at, ...rest }) => rest)).toEqual(rows);
    });

    test("a value invalid for its column fails the whole call with its SQLSTATE; the database answers right after", async () => {
      const rows = [minimal("bad-uuid-1"), minimal("bad-uuid-2", "not-a-uuid"), minimal("bad-uuid-3")];
      const error = await database.insertColumns("usage_events", BAD_UUID, columnsOf(rows)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "22P02" });
      expect(isBadRowError(error)).toBe(true);
      expect(await usage("bad-uuid-")).toEqual([]);
      await database.insertColumns("usage_events", BAD_UUID, columnsOf([minimal("bad-uuid-after")]));
      expect((await usage("bad-uuid-")).map((r) => r.requestId)).toEqual(["bad-uuid-after"]);
    });

    test("a large batch (1.6 MB) with a bad first row fails the call; the database answers right after", async () => {
      const filler = "x".repeat(400);
      const rows = Array.from({ length: 4_000 }, (_, i) => minimal(`large-${i}-${filler}`, i === 0 ? "not-a-uuid" : null));
      const error = await database.insertColumns("usage_events", BAD_UUID, columnsOf(rows)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "22P02" });
      expect(await usage("large-")).toEqual([]);
      await database.insertColumns("usage_events", BAD_UUID, columnsOf(rows.slice(1)));
      expect((await usage("large-")).length).toBe(3_999);
    });

    test("a NUL character (which text cannot hold) fails as a bad row", async () => {
      const error = await database.insertColumns("usage_events", BAD_UUID, columnsOf([minimal("nul-\u0000-1")])).catch((e: unknown) => e);
      expect(isBadRowError(error)).toBe(true);
    });

    test("one bad row among many is isolated; the others are written", async () => {
      const rows = Array.from({ length: 40 }, (_, i) => ({ ...usageRow(i, "ok"), requestId: `isolate-${String(i).padStart(2, "0")}` }));
      rows[17] = { ...rows[17]!, inputTokens: -1 }; // check violation
      rows[30] = { ...rows[30]!, fallbackCount: 40_000 }; // smallint out of range
      const result = await insertIsolatingBadRows(rows, appendUsageRows(database));
      expect(result).toMatchObject({ done: 40, written: 38, bad: 2 });
      expect((await usage("isolate-")).map((r) => r.requestId)).toEqual(
        rows.filter((_, i) => i !== 17 && i !== 30).map((r) => r.requestId),
      );
    });
    if (pooled)
      test("after close() an append is refused as retryable, without opening a connection", async () => {
        const closed = pool!(1);
        await closed.close();
        const error = await closed.insertColumns("usage_events", BAD_UUID, columnsOf([minimal("closed-1")])).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: "CONNECTION_ENDED" });
        expect(isBadRowError(error)).toBe(false);
        expect(await usage("closed-")).toEqual([]);
      });

    if (pooled) test("one connection: appends, failing appends and queries interleaved all settle as they should", async () => {
      const database = pool!(1);
      try {
        const calls = Array.from({ length: 30 }, (_, i) => {
          if (i % 3 === 0) return database.db.select({ id: usageEvents.id }).from(usageEvents).limit(1).then(() => "selected");
          const rows = [minimal(`pool-${i}`), minimal(`pool-${i}-b`, i % 5 === 1 ? "bad" : null)];
          return database.insertColumns("usage_events", BAD_UUID, columnsOf(rows)).then(
            () => "written",
            (e: { code?: string }) => e.code,
          );
        });
        const outcomes = await Promise.all(calls);
        expect(outcomes).toEqual(
          Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? "selected" : i % 5 === 1 ? "22P02" : "written")),
        );
        const written = await database.db.select().from(usageEvents).where(like(usageEvents.requestId, "pool-%"));
        expect(written.length).toBe(2 * outcomes.filter((o) => o === "written").length);
      } finally {
        await database.close();
      }
    });
  });
}

describe.skipIf(!services.postgres)("Database.insertColumns", () => {
  suite(
    "PostgreSQL",
    async () => {
      const testDb: TestDatabase = await createTestDatabase();
      const database = connectPostgres(testDb.url);
      return {
        database,
        cleanup: async () => (await database.close(), await testDb.drop()),
        pool: (max) => connectPostgres(testDb.url, { max }),
      };
    },
    true,
  );
});

suite("Database.insertColumns: PGlite (embedded mode)", async () => {
  const database = await openPglite("memory://");
  return { database, cleanup: () => database.close() };
});
