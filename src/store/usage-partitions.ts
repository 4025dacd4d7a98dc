/**
 * Keeps usage_events' monthly partitions (drizzle/0004_usage_partitions.sql) ahead of time and
 * within retention. Months are UTC; a month's partition is `usage_events_yYYYYmMM`, and only
 * partitions named so are managed (the DEFAULT partition is never dropped).
 *
 * One run, in one transaction, skipped when another replica holds the lock:
 * - retention (retentionMonths > 0): a partition is detached and dropped once its whole month is
 *   older than retentionMonths; rows of such months in the DEFAULT partition are deleted. Every
 *   row is kept at least retentionMonths and less than one month longer.
 * - horizon: partitions exist for the current month and the next monthsAhead. Rows that landed
 *   in the DEFAULT partition (no partition for their month: far-future or backdated created_at)
 *   get their month's partition as soon as that month is within the horizon.
 */
import { sql, type SQL } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/pg-core";
import type { Logger } from "pino";
import type { Db } from "./db.ts";
import { usageEvents } from "./schema.ts";

export const USAGE_PARTITION_DEFAULT = "usage_events_default";
const PARTITION_NAME = /^usage_events_y(\d{4})m(\d{2})$/;
// Any constant works; it only has to be the same for every replica (the migrations use ...001).
export const MAINTENANCE_LOCK_ID = 7_041_992_002;
// DDL waiting for a lock queues every later insert behind it: give up and retry on the next run.
const LOCK_TIMEOUT = "5s";
const DAY_MS = 86_400_000;

export interface UsagePartitionMaintenanceOptions {
  db: Db;
  logger: Logger;
  /** Whole months kept besides the current one; 0 = keep forever. */
  retentionMonths: number;
  /** Months after the current one that get their partition in advance (default 2). */
  monthsAhead?: number;
  now?: () => Date;
}

export interface UsagePartitionReport {
  /** Another replica held the lock: nothing was done. */
  skipped: boolean;
  created: string[];
  dropped: string[];
  /** Rows moved from the DEFAULT partition into partitions created by this run. */
  moved: number;
  /** Rows past retention deleted from the DEFAULT partition. */
  expired: number;
}

export interface UsagePartitionMaintenance {
  runOnce(): Promise<UsagePartitionReport>;
  /** Runs now, then every intervalMs (default one day) on an unref'ed timer; failures are logged. */
  start(intervalMs?: number): void;
  /** Stops the timer and waits for a run in flight. */
  stop(): Promise<void>;
}

type Executor = Pick<Db, "execute">;

async function rows<T>(tx: Executor, query: SQL): Promise<T[]> {
  const result = (await tx.execute(query)) as unknown;
  // postgres.js returns the rows themselves, PGlite a result holding them.
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** Month index since year 0 (UTC): month arithmetic without Date pitfalls. */
const monthOf = (date: Date) => date.getUTCFullYear() * 12 + date.getUTCMonth();
const startOf = (month: number) => new Date(Date.UTC(Math.floor(month / 12), month % 12, 1));
const literal = (month: number) => `'${startOf(month).toISOString().slice(0, 10)} 00:00:00+00'`;
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

export function partitionName(month: number): string {
  const year = String(Math.floor(month / 12)).padStart(4, "0");
  return `usage_events_y${year}m${String((month % 12) + 1).padStart(2, "0")}`;
}

function monthOfName(name: string): number | null {
  const match = PARTITION_NAME.exec(name);
  return match ? Number(match[1]) * 12 + Number(match[2]) - 1 : null;
}

const COLUMN_LIST = getTableConfig(usageEvents).columns.map((c) => ident(c.name)).join(", ");

/**
 * The DEFAULT partition holds rows of this month, so PostgreSQL refuses PARTITION OF: build the
 * partition beside the table, move the rows into it, then attach it (which checks both sides).
 */
async function createWithRowsFromDefault(tx: Executor, name: string, month: number): Promise<number> {
  const range = `"created_at" >= ${literal(month)} and "created_at" < ${literal(month + 1)}`;
  // Reads go on; inserts into the DEFAULT wait, so none lands in this month between move and attach.
  await tx.execute(sql.raw(`lock table ${ident(USAGE_PARTITION_DEFAULT)} in exclusive mode`));
  await tx.execute(sql.raw(`create table ${ident(name)} (like "usage_events" including defaults including constraints)`));
  const [moved] = await rows<{ n: number }>(
    tx,
    sql.raw(`with moved as (delete from ${ident(USAGE_PARTITION_DEFAULT)} where ${range} returning ${COLUMN_LIST}),
      inserted as (insert into ${ident(name)} (${COLUMN_LIST}) select ${COLUMN_LIST} from moved returning 1)
      select count(*)::int as n from inserted`),
  );
  await tx.execute(
    sql.raw(`alter table "usage_events" attach partition ${ident(name)} for values from (${literal(month)}) to (${literal(month + 1)})`),
  );
  return Number(moved?.n ?? 0);
}

/** Detaches and drops the partitions of months before keepFrom; deletes the DEFAULT's rows of those months. */
async function applyRetention(tx: Executor, partitions: string[], keepFrom: number, report: UsagePartitionReport) {
  for (const name of partitions) {
    const month = monthOfName(name);
    if (month === null || month >= keepFrom) continue;
    await tx.execute(sql.raw(`alter table "usage_events" detach partition ${ident(name)}`));
    await tx.execute(sql.raw(`drop table ${ident(name)}`));
    report.dropped.push(name);
  }
  const [expired] = await rows<{ n: number }>(
    tx,
    sql.raw(`with gone as (delete from ${ident(USAGE_PARTITION_DEFAULT)} where "created_at" < ${literal(keepFrom)} returning 1)
      select count(*)::int as n from gone`),
  );
  report.expired = Number(expired?.n ?? 0);
}

/** Creates the partitions of months from..to-1, and of earlier months whose rows sit in the DEFAULT. */
async function ensurePartitions(tx: Executor, existing: Set<string>, from: number, to: number, report: UsagePartitionReport) {
  const stranded = await rows<{ year: number; month: number }>(
    tx,
    sql.raw(`select distinct extract(year from m)::int as year, extract(month from m)::int as month
      from (select date_trunc('month', "created_at" at time zone 'UTC') as m from ${ident(USAGE_PARTITION_DEFAULT)}
        where "created_at" < ${literal(to)}) d`),
  );
  const withRows = new Set(stranded.map((r) => r.year * 12 + r.month - 1));
  const wanted = new Set([...withRows, ...Array.from({ length: to - from }, (_, i) => from + i)]);
  for (const month of [...wanted].sort((a, b) => a - b)) {
    const name = partitionName(month);
    if (existing.has(name)) continue;
    if (withRows.has(month)) report.moved += await createWithRowsFromDefault(tx, name, month);
    else {
      await tx.execute(
        sql.raw(`create table ${ident(name)} partition of "usage_events" for values from (${literal(month)}) to (${literal(month + 1)})`),
      );
    }
    report.created.push(name);
  }
}

async function maintain(tx: Executor, now: Date, retentionMonths: number, monthsAhead: number): Promise<UsagePartitionReport> {
  const report: UsagePartitionReport = { skipped: false, created: [], dropped: [], moved: 0, expired: 0 };
  const [lock] = await rows<{ locked: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${MAINTENANCE_LOCK_ID}) as locked`);
  if (!lock?.locked) return { ...report, skipped: true };
  await tx.execute(sql.raw(`set local lock_timeout = '${LOCK_TIMEOUT}'`));
  const partitions = (
    await rows<{ name: string }>(
      tx,
      sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'usage_events'::regclass`,
    )
  ).map((p) => p.name);
  const current = monthOf(now);
  if (retentionMonths > 0) await applyRetention(tx, partitions, current - retentionMonths, report);
  await ensurePartitions(tx, new Set(partitions), current, current + monthsAhead + 1, report);
  return report;
}

export function createUsagePartitionMaintenance(options: UsagePartitionMaintenanceOptions): UsagePartitionMaintenance {
  const { db, logger, retentionMonths, monthsAhead = 2, now = () => new Date() } = options;
  let timer: ReturnType<typeof setInterval> | null = null;
  let inFlight: Promise<unknown> | null = null;

  const runOnce = async () => {
    const report = await db.transaction((tx) => maintain(tx, now(), retentionMonths, monthsAhead));
    const changed = report.created.length + report.dropped.length + report.moved + report.expired > 0;
    if (changed) logger.info({ ...report, retention_months: retentionMonths }, "usage partitions maintained");
    else logger.debug({ skipped: report.skipped }, "usage partitions up to date");
    return report;
  };

  const tick = () => {
    inFlight ??= runOnce()
      .catch((err) => logger.warn({ err }, "usage partition maintenance failed; retried on the next run"))
      .finally(() => (inFlight = null));
  };

  return {
    runOnce,
    start(intervalMs = DAY_MS) {
      if (timer) return;
      tick();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await inFlight;
    },
  };
}
