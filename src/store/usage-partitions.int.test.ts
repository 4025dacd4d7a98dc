import { afterEach, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import pino from "pino";
import postgres from "postgres";
import { createTestDatabase, integrationServices } from "../testing/services.ts";
import { connectPostgres, openPglite, type Database } from "./db.ts";
import { applyMigrations, MIGRATIONS, type MigrationTarget } from "./migrations/migrate.ts";
import { loadPgliteAssets } from "./pglite-assets.ts";
import { appendUsageRows } from "./usage-batch.ts";
import type { UsageRow } from "./usage-ledger.ts";
import { createUsagePartitionMaintenance, MAINTENANCE_LOCK_ID, partitionName } from "./usage-partitions.ts";

const services = await integrationServices();
const logger = pino({ level: "silent" });
const now = new Date();
const M0 = now.getUTCFullYear() * 12 + now.getUTCMonth();
const at = (month: number, day = 10) => new Date(Date.UTC(Math.floor(month / 12), month % 12, day, 12));
const row = (requestId: string, createdAt: Date): UsageRow => ({
  requestId,
  route: "/v1/chat/completions",
  status: "success",
  statusCode: 200,
  createdAt,
});

type Query = <T = Record<string, unknown>>(text: string) => Promise<T[]>;
interface Backend {
  /** A migrated database and a raw query over it. */
  open(): Promise<{ database: Database; query: Query; close(): Promise<void> }>;
  /** A database with no migrations applied yet. */
  openBare(): Promise<{ target: MigrationTarget; query: Query; close(): Promise<void> }>;
}

function queryOf(database: Database): Query {
  return async <T,>(text: string) => {
    const result = (await database.db.execute(sql.raw(text))) as unknown;
    return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
  };
}

const postgresBackend: Backend = {
  async open() {
    const testDb = await createTestDatabase();
    const database = connectPostgres(testDb.url, { max: 3 });
    await database.migrate();
    return { database, query: queryOf(database), close: async () => (await database.close(), await testDb.drop()) };
  },
  async openBare() {
    const testDb = await createTestDatabase();
    const client = postgres(testDb.url, { max: 1, onnotice: () => {} });
    const target: MigrationTarget = {
      transaction: (fn) =>
        client.begin((tx) =>
          fn({
            query: async (text, params = []) => [...(await tx.unsafe(text, params as never[]))],
            exec: async (text) => void (await tx.unsafe(text)),
          }),
        ) as Promise<never>,
    };
    const query: Query = async (text) => [...(await client.unsafe(text))] as never[];
    return { target, query, close: async () => (await client.end(), await testDb.drop()) };
  },
};

const pgliteBackend: Backend = {
  async open() {
    const database = await openPglite("memory://");
    await database.migrate();
    return { database, query: queryOf(database), close: () => database.close() };
  },
  async openBare() {
    const client = await PGlite.create("memory://", await loadPgliteAssets());
    const target: MigrationTarget = {
      transaction: (fn) =>
        client.transaction((tx) =>
          fn({
            query: async (text, params) => (await tx.query<Record<string, unknown>>(text, params)).rows,
            exec: async (text) => void (await tx.exec(text)),
          }),
        ),
    };
    const query: Query = async <T,>(text: string) => (await client.query<T>(text)).rows;
    return { target, query, close: () => client.close() };
  },
};

const partitionsOf = async (query: Query) =>
  (
    await query<{ name: string }>(`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'usage_events'::regclass order by 1`)
  ).map((r) => r.name);

/** Every row: id, request id and the partition holding it, in id order. */
const placed = async (query: Query) =>
  (
    await query<{ id: number; request_id: string; part: string }>(
      `select id::int as id, request_id, tableoid::regclass::text as part from usage_events order by id`,
    )
  ).map((r) => [Number(r.id), r.request_id, r.part] as const);

function scenarios(name: string, backend: Backend) {
  describe(name, () => {
    const opened: (() => Promise<void>)[] = [];
    const open = async () => {
      const handle = await backend.open();
      opened.push(handle.close);
      return handle;
    };
    afterEach(async () => {
      for (const close of opened.splice(0)) await close();
    });

    test("after migrate usage_events is partitioned by month: current and next 2 months, and a default", async () => {
      const { query } = await open();
      const [table] = await query<{ strategy: string; key: string }>(
        `select partstrat::text as strategy, pg_get_partkeydef(partrelid) as key from pg_partitioned_table
          where partrelid = 'usage_events'::regclass`,
      );
      expect(table).toEqual({ strategy: "r", key: "RANGE (created_at)" });
      const expected = ["usage_events_default", partitionName(M0), partitionName(M0 + 1), partitionName(M0 + 2)];
      expect(await partitionsOf(query)).toEqual(expected.sort());
      const [pk] = await query<{ def: string }>(
        `select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'usage_events'::regclass and contype = 'p'`,
      );
      expect(pk?.def).toBe("PRIMARY KEY (created_at, id)");
    });

    test("appended rows go to their month; a far-future row goes to the default; ids increase", async () => {
      const { database, query } = await open();
      await appendUsageRows(database)([row("json-now", at(M0)), row("json-next", at(M0 + 1, 1))]);
      await appendUsageRows(database)([row("unnest-2", at(M0 + 2, 28)), row("unnest-far", at(M0 + 60))]);
      await appendUsageRows(database)([row("json-far", at(M0 + 61))]);
      const rows = await placed(query);
      expect(rows.map(([, id, part]) => [id, part])).toEqual([
        ["json-now", partitionName(M0)],
        ["json-next", partitionName(M0 + 1)],
        ["unnest-2", partitionName(M0 + 2)],
        ["unnest-far", "usage_events_default"],
        ["json-far", "usage_events_default"],
      ]);
      const ids = rows.map(([id]) => id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(5);
    });

    test("a run in a month whose rows sit in the default creates its partition and moves them", async () => {
      const { database, query } = await open();
      const far = M0 + 60;
      await appendUsageRows(database)([row("far-1", at(far, 1)), row("far-2", at(far, 20)), row("later", at(far + 9))]);
      await appendUsageRows(database)([row("far-3", at(far + 1, 1))]);
      const before = await placed(query);
      const maintenance = createUsagePartitionMaintenance({ db: database.db, logger, retentionMonths: 0, now: () => at(far, 15) });
      const report = await maintenance.runOnce();
      expect(report).toEqual({
        skipped: false,
        created: [partitionName(far), partitionName(far + 1), partitionName(far + 2)],
        dropped: [],
        moved: 3,
        expired: 0,
      });
      expect(await placed(query)).toEqual(
        before.map(([id, requestId]) => {
          const part = { "far-3": partitionName(far + 1), later: "usage_events_default" }[requestId] ?? partitionName(far);
          return [id, requestId, part] as const;
        }),
      );
      expect((await maintenance.runOnce()).created).toEqual([]);
      // The identity continues after the moved rows, into the new partition.
      await appendUsageRows(database)([row("after", at(far, 25))]);
      const last = (await placed(query)).at(-1)!;
      expect(last[0]).toBeGreaterThan(Math.max(...before.map(([id]) => id)));
      expect(last.slice(1)).toEqual(["after", partitionName(far)]);
    });

    async function retentionSetup() {
      const handle = await open();
      const base = M0 + 60;
      const early = createUsagePartitionMaintenance({ db: handle.database.db, logger, retentionMonths: 0, now: () => at(base - 14, 20) });
      await early.runOnce();
      await appendUsageRows(handle.database)([
        row("old", at(base - 14, 27)),
        row("kept", at(base - 13, 1)),
        row("current", at(base, 2)),
      ]);
      await appendUsageRows(handle.database)([row("stray-old", at(base - 20))]);
      return { ...handle, base };
    }

    test("retention drops whole months older than the setting, rows included, and keeps the rest", async () => {
      const { database, query, base } = await retentionSetup();
      const maintenance = createUsagePartitionMaintenance({ db: database.db, logger, retentionMonths: 13, now: () => at(base, 15) });
      const report = await maintenance.runOnce();
      const dropped = [M0, M0 + 1, M0 + 2, base - 14].map(partitionName);
      expect({ ...report, dropped: report.dropped.sort() }).toEqual({
        skipped: false,
        created: [base, base + 1, base + 2].map(partitionName),
        dropped: dropped.sort(),
        moved: 1,
        expired: 1,
      });
      const kept = ["usage_events_default", ...[base - 13, base - 12, base, base + 1, base + 2].map(partitionName)];
      expect(await partitionsOf(query)).toEqual(kept.sort());
      expect((await placed(query)).map(([, id, part]) => [id, part])).toEqual([
        ["kept", partitionName(base - 13)],
        ["current", partitionName(base)],
      ]);
    });

    test("retention 0 keeps every month", async () => {
      const { database, query, base } = await retentionSetup();
      const before = (await placed(query)).length;
      const maintenance = createUsagePartitionMaintenance({ db: database.db, logger, retentionMonths: 0, now: () => at(base, 15) });
      const report = await maintenance.runOnce();
      expect([report.dropped, report.expired, report.moved]).toEqual([[], 0, 2]);
      expect(await placed(query)).toHaveLength(before);
      expect(await partitionsOf(query)).toContain(partitionName(M0));
    });

    test("the migration keeps every row of a table holding two months and continues the identity", async () => {
      const { target, query, close } = await backend.openBare();
      opened.push(close);
      await applyMigrations(target, MIGRATIONS.filter((m) => m.tag < "0004"));
      await query(`insert into usage_events (request_id, route, status, status_code, created_at) values
        ('a', '/r', 'success', 200, '2025-03-31 23:59:59.999+00'), ('b', '/r', 'failure', 502, '2025-06-01 00:00:00+00'),
        ('c', '/r', 'success', 200, '2025-06-30 10:00:00+00')`);
      await query(`select nextval('usage_events_id_seq')`); // a rolled-back insert's id: never reused
      expect((await applyMigrations(target)).applied).toContain("0004_usage_partitions");
      await query(`insert into usage_events (request_id, route, status, status_code) values ('d', '/r', 'success', 200)`);
      expect(await placed(query)).toEqual([
        [1, "a", "usage_events_y2025m03"],
        [2, "b", "usage_events_y2025m06"],
        [3, "c", "usage_events_y2025m06"],
        [5, "d", partitionName(M0)],
      ]);
      // The (created_at, id) primary key and the four indexes of the schema (0005 dropped model and
      // provider; 0006 dropped created_at, which the key serves).
      const indexes = await query<{ n: number }>(
        `select count(*)::int as n from pg_indexes where tablename = 'usage_events' and indexname like 'usage_events_%'`,
      );
      expect(Number(indexes[0]?.n)).toBe(5);
    });
  });
}

describe.skipIf(!services.postgres)("usage partitions: PostgreSQL", () => {
  scenarios("on PostgreSQL", postgresBackend);

  test("only one replica maintains at a time: a held lock skips the run", async () => {
    const { database, close } = await postgresBackend.open();
    try {
      const maintenance = createUsagePartitionMaintenance({ db: database.db, logger, retentionMonths: 13 });
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${MAINTENANCE_LOCK_ID})`);
        expect(await maintenance.runOnce()).toMatchObject({ skipped: true, created: [] });
      });
      expect(await maintenance.runOnce()).toMatchObject({ skipped: false });
    } finally {
      await close();
    }
  });
});

scenarios("usage partitions: PGlite (embedded mode)", pgliteBackend);

test("drizzle-kit generate finds no schema change beyond the committed migrations", () => {
  // A copy of drizzle/, so a change found is written there and never into the repository.
  const root = join(import.meta.dir, "..", "..");
  const out = mkdtempSync(join(tmpdir(), "relayna-drizzle-"));
  try {
    cpSync(join(root, "drizzle"), out, { recursive: true });
    const args = ["generate", "--dialect", "postgresql", "--schema", "src/store/schema.ts", "--out", relative(root, out)];
    const run = Bun.spawnSync([process.execPath, "x", "drizzle-kit", ...args], { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
    expect(run.stdout.toString() + run.stderr.toString()).toContain("No schema changes");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 60_000);
