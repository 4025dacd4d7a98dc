import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { like } from "drizzle-orm";
import pino from "pino";
import { integrationServices, createTestDatabase, type TestDatabase } from "../testing/services.ts";
import { connectPostgres, openPglite, type Database } from "./db.ts";
import { usageEvents } from "./schema.ts";
import { appendUsageRows } from "./usage-batch.ts";
import { createUsageLedger, type UsageRow } from "./usage-ledger.ts";

const services = await integrationServices();
const logger = pino({ level: "silent" });

const awkward: UsageRow = {
  requestId: "copy-awkward",
  keyId: crypto.randomUUID(),
  projectId: null,
  route: "/v1/chat/completions",
  model: 'tab\there, newline\nthere, cr\r, back\\slash, "quoted", {braces}, ünïcode 🌍, \\N',
  provider: "litellm",
  serviceName: null,
  taskId: "task\\1",
  runId: "NULL",
  status: "failure",
  statusCode: 502,
  errorCode: "upstream_connection",
  stream: true,
  latencyMs: 12,
  firstTokenMs: null,
  inputTokens: 1,
  outputTokens: 2,
  totalTokens: 3,
  estimatedCostUsd: 0.00000012,
  fallbackCount: 1,
  guardrails: ["pii-redact", 'we"ird\\name', "a,b"],
  createdAt: new Date("2026-11-26T10:00:00.123Z"),
};

function suite(name: string, open: () => Promise<{ database: Database; cleanup: () => Promise<void> }>) {
  describe(name, () => {
    let database: Database;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ database, cleanup } = await open());
      await database.migrate();
    });
    afterAll(async () => {
      await cleanup?.();
    });

    const stored = (prefix: string) =>
      database.db.select().from(usageEvents).where(like(usageEvents.requestId, `${prefix}%`));

    test("every field survives the column-wise append, awkward characters included", async () => {
      await appendUsageRows(database)([awkward]);
      const [row] = await stored("copy-awkward");
      const { id, ...rest } = row!;
      expect(rest).toEqual(awkward as typeof rest);
    });

    test("through the ledger: defaults fill absent fields, bad rows are dropped, the rest written", async () => {
      const ledger = createUsageLedger({ database, logger, flushIntervalMs: 10 });
      const base = { keyId: null, route: "/v1/embeddings", status: "success" as const, statusCode: 200 };
      ledger.record({ ...base, requestId: "copy-min-1" });
      ledger.record({ ...base, requestId: "copy-bad-1", inputTokens: -5 });
      ledger.record({ ...base, requestId: "copy-min-2", createdAt: new Date(Number.NaN) });
      await ledger.close(2000);
      expect(ledger.stats()).toMatchObject({ written: 2, dropped: 1 });
      const rows = await stored("copy-");
      const minimal = rows.find((r) => r.requestId === "copy-min-1")!;
      expect(minimal).toMatchObject({ stream: false, inputTokens: 0, estimatedCostUsd: 0, fallbackCount: 0, guardrails: [] });
      expect(rows.some((r) => r.requestId === "copy-bad-1")).toBe(false);
      // An invalid date is written with the time of writing (the ledger never rejects a row for it).
      const late = rows.find((r) => r.requestId === "copy-min-2")!;
      expect(Math.abs(late.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    });
  });
}

describe.skipIf(!services.postgres)("usage rows appended column by column", () => {
  suite("PostgreSQL", async () => {
    const testDb: TestDatabase = await createTestDatabase();
    const database = connectPostgres(testDb.url);
    return {
      database,
      cleanup: async () => {
        await database.close();
        await testDb.drop();
      },
    };
  });
});

suite("usage rows appended column by column: PGlite (embedded mode)", async () => {
  const database = await openPglite("memory://");
  return { database, cleanup: () => database.close() };
});
