/**
 * The guardrail execution event writer (`guardrail_execution_events`, contract 8). The proxy
 * calls record() on its hot path (a copy and a push per run); one background pump writes the
 * queue oldest first in multi-row INSERTs, one in flight at a time.
 *
 * Events are diagnostics, not money: no spill file, no exactly-once replay (unlike the usage
 * ledger). What can be lost is counted (stats(), and metrics with a registry):
 * - Unavailable database (any error but a bad row): rows stay queued, in order, retried with
 *   exponential backoff; one error line per outage. A batch whose INSERT committed just before
 *   the connection died is written again (a duplicated event, harmless).
 * - Bad row (SQLSTATE class 22/23, or a value that cannot be serialized): isolated by halving
 *   the batch; the good rows are written, the bad ones dropped (`rejected`).
 * - Rows recorded while `maxQueue` rows wait are dropped (`overflowed`); so are the rows still
 *   queued when close() times out, and rows recorded after it (`unwritten`).
 */
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import type { FailurePolicy, GuardrailAction, GuardrailMode } from "../guardrails/catalog.ts";
import type { GuardrailRun } from "../guardrails/run.ts";
import { columnText, type ColumnSpec, type Database } from "./db.ts";
import type { guardrailExecutionEvents } from "./schema.ts";
import { APPEND_BATCH_ROWS, describeWriteError, insertIsolatingBadRows } from "./usage-batch.ts";

type EventsDatabase = Pick<Database, "insertColumns">;

type InsertRow = typeof guardrailExecutionEvents.$inferInsert;

/** One guardrail run as stored: names, verdicts, timings and counts by category — never content. */
export interface GuardrailEventRow {
  requestId: string;
  keyId: string | null;
  projectId: string | null;
  guardrailName: string;
  mode: GuardrailMode;
  action: GuardrailAction;
  failurePolicy: FailurePolicy;
  latencyMs: number;
  failed: boolean;
  /** From the guardrail's reply (or the failure kind); cut to MAX_REASON_LENGTH. */
  reason: string | null;
  /** Counts by category (e.g. {"email": 2}). */
  counts: Record<string, number>;
}

/** Defaults: 2000 rows per append (APPEND_BATCH_ROWS), a row waits at most 500 ms, 20_000 rows in memory, retries 200 ms doubling to 5 s. */
export interface GuardrailEventWriterOptions {
  database: EventsDatabase;
  logger: Logger;
  /** Registers relayna_guardrail_events_{queue_depth,dropped_total} (none without one). */
  registry?: Registry;
  batchSize?: number;
  flushIntervalMs?: number;
  maxQueue?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** `batches`: successful INSERTs; `failures`: failed (retried) writes; dropped: `rejected` by PostgreSQL, `overflowed` the queue, `unwritten` at close. */
export interface GuardrailEventWriterStats {
  queued: number;
  written: number;
  batches: number;
  failures: number;
  rejected: number;
  overflowed: number;
  unwritten: number;
}

export interface GuardrailEventWriter {
  /** O(rows), never throws, never awaits; createdAt is now. */
  record(rows: readonly GuardrailEventRow[]): void;
  /** Resolves once every row recorded so far is written or dropped (waiting through retries). */
  flush(): Promise<void>;
  /** Drains until empty or timeoutMs (default 5000); then drops the rest, counted. */
  close(timeoutMs?: number): Promise<void>;
  stats(): GuardrailEventWriterStats;
}

export const MAX_REASON_LENGTH = 500;

/** Cut at MAX_REASON_LENGTH UTF-16 units, never inside a surrogate pair; NUL (which PostgreSQL text cannot hold) removed. */
export function truncateReason(value: string | null | undefined): string | null {
  if (typeof value !== "string") return null;
  const reason = value.includes("\u0000") ? value.replaceAll("\u0000", "") : value;
  if (reason.length <= MAX_REASON_LENGTH) return reason;
  const high = reason.charCodeAt(MAX_REASON_LENGTH - 1);
  return reason.slice(0, high >= 0xd800 && high <= 0xdbff ? MAX_REASON_LENGTH - 1 : MAX_REASON_LENGTH);
}

/** The rows of one request's runs (RunState.runs), ready for record(). */
export function eventRowsOf(
  runs: readonly GuardrailRun[],
  who: Pick<GuardrailEventRow, "requestId" | "keyId" | "projectId">,
): GuardrailEventRow[] {
  return runs.map((run) => ({
    requestId: who.requestId,
    keyId: who.keyId,
    projectId: who.projectId,
    guardrailName: run.name,
    mode: run.mode,
    action: run.action,
    failurePolicy: run.failurePolicy,
    latencyMs: run.latencyMs,
    failed: run.failed,
    reason: run.reason,
    counts: run.counts,
  }));
}

// Field → SQL type; the column is the field in snake_case. Appended column by column, as the
// usage ledger does (Database.insertColumns).
const TYPES: [keyof InsertRow, string][] = Object.entries({
  requestId: "text", keyId: "uuid", projectId: "uuid", guardrailName: "text", mode: "text", action: "text",
  failurePolicy: "text", latencyMs: "int4", failed: "bool", reason: "text", counts: "jsonb", createdAt: "timestamptz",
}) as [keyof InsertRow, string][];
const COLUMNS: ColumnSpec[] = TYPES.map(([field, type]) => ({ name: field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), type }));

const insertRows = (database: EventsDatabase, rows: InsertRow[]) =>
  database.insertColumns("guardrail_execution_events", COLUMNS, TYPES.map(([field]) => rows.map((row) => columnText(row[field]))));

const copyRow = (row: GuardrailEventRow, createdAt: Date): InsertRow => ({
  requestId: row.requestId,
  keyId: row.keyId ?? null,
  projectId: row.projectId ?? null,
  guardrailName: row.guardrailName,
  mode: row.mode,
  action: row.action,
  failurePolicy: row.failurePolicy,
  latencyMs: Number.isFinite(row.latencyMs) ? Math.min(2 ** 31 - 1, Math.max(0, Math.round(row.latencyMs))) : 0,
  failed: row.failed === true,
  reason: truncateReason(row.reason),
  counts: { ...row.counts },
  createdAt,
});

function createMetrics(registry: Registry | undefined, queueDepth: () => number) {
  if (!registry) return null;
  new Gauge({
    name: "relayna_guardrail_events_queue_depth",
    help: "Guardrail execution events waiting in memory.",
    registers: [registry],
    collect() {
      this.set(queueDepth());
    },
  });
  const dropped = new Counter({
    name: "relayna_guardrail_events_dropped_total",
    help: "Guardrail execution events lost (diagnostics, not billing): rejected, overflow or unwritten at close.",
    labelNames: ["reason"],
    registers: [registry],
  });
  return { rejected: dropped.labels("rejected"), overflowed: dropped.labels("overflow"), unwritten: dropped.labels("unwritten") };
}

export function createGuardrailEventWriter(options: GuardrailEventWriterOptions): GuardrailEventWriter {
  const { database, logger } = options;
  const batchSize = Math.max(1, options.batchSize ?? APPEND_BATCH_ROWS);
  const flushIntervalMs = options.flushIntervalMs ?? 500;
  const maxQueue = Math.max(batchSize, options.maxQueue ?? 20_000);
  const [retryBaseMs, retryMaxMs] = [options.retryBaseMs ?? 200, options.retryMaxMs ?? 5_000];
  let queue: InsertRow[] = []; // oldest first
  const counts = { written: 0, batches: 0, failures: 0, rejected: 0, overflowed: 0, unwritten: 0 };
  const metrics = createMetrics(options.registry, () => queue.length);
  const drop = (why: "rejected" | "overflowed" | "unwritten", n: number) => {
    counts[why] += n;
    metrics?.[why].inc(n);
  };

  let enqueued = 0; // rows ever queued
  let settled = 0; // rows that left the queue: written or dropped
  let waiters: { target: number; resolve: () => void }[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let wake: (() => void) | null = null;
  let [pumping, closed, overflowing] = [false, false, false];
  let outageSince: number | null = null;
  let attempt = 0;

  function settle(n: number): void {
    queue = queue.length === n ? [] : queue.slice(n);
    settled += n;
    const ready = waiters.filter((w) => w.target <= settled);
    waiters = waiters.filter((w) => w.target > settled);
    for (const w of ready) w.resolve();
  }

  function cancelTimer(): void {
    if (timer) clearTimeout(timer);
    timer = null;
  }

  function schedule(delayMs: number): void {
    if (closed || timer) return;
    timer = setTimeout(() => ((timer = null), void pump(true)), delayMs);
    timer.unref();
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => ((wake = null), resolve()), ms);
      t.unref();
      wake = () => (clearTimeout(t), (wake = null), resolve());
    });
  }

  /**
   * Writes batch (the queue's head) and settles what is finished; bad rows are isolated and
   * dropped. Throws when the database is unavailable (the unfinished rest stays queued).
   */
  async function write(batch: InsertRow[]): Promise<void> {
    const result = await insertIsolatingBadRows(batch, (rows) => insertRows(database, rows), (row, err) => {
      // Code and constraint only: PostgreSQL's message can quote the rejected value.
      const { code, constraint } = describeWriteError(err);
      logger.error({ guardrail: row.guardrailName, code, constraint }, "guardrail events: row rejected; dropped");
    });
    if (closed) return; // close() already dropped (and counted) the queue, this batch included
    counts.written += result.written;
    counts.batches += result.inserts;
    if (result.bad > 0) drop("rejected", result.bad);
    settle(result.done);
    if (result.error !== undefined) throw result.error;
  }

  /**
   * Whether the queue's head should be written now: a full batch, a flush() waiting, or a row
   * older than flushIntervalMs. Rows that trickle in while a batch is in flight wait for the
   * next of these rather than going out a few at a time, one INSERT per round trip.
   */
  const due = () =>
    queue.length >= batchSize || waiters.length > 0 || Date.now() - queue[0]!.createdAt!.getTime() >= flushIntervalMs;

  /** `timed`: the timer fired, so the head is due (a timer may fire a little early). */
  async function pump(timed = false): Promise<void> {
    if (pumping || closed) return;
    pumping = true;
    try {
      for (let first = true; queue.length > 0 && !closed && ((first && timed) || due()); first = false) {
        try {
          await write(queue.slice(0, batchSize));
          if (outageSince !== null) logger.info({ outage_ms: Date.now() - outageSince, queued: queue.length }, "guardrail events: writes recovered");
          [outageSince, attempt, overflowing] = [null, 0, false];
        } catch (err) {
          counts.failures++;
          if (outageSince === null) {
            outageSince = Date.now();
            logger.error({ queued: queue.length, ...describeWriteError(err) }, "guardrail events: database write failed; retrying");
          }
          await sleep(Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempt++, 20)));
        }
      }
    } finally {
      pumping = false;
    }
    if (queue.length > 0 && !closed) schedule(Math.max(0, queue[0]!.createdAt!.getTime() + flushIntervalMs - Date.now()));
  }

  function record(rows: readonly GuardrailEventRow[]): void {
    if (closed) return drop("unwritten", Array.isArray(rows) ? rows.length : 0);
    const now = new Date();
    for (const row of Array.isArray(rows) ? rows : []) {
      if (queue.length >= maxQueue) {
        drop("overflowed", 1);
        if (!overflowing) logger.error({ max_queue: maxQueue }, "guardrail events: queue full; dropping events");
        overflowing = true;
        continue;
      }
      try {
        queue.push(copyRow(row, now));
        enqueued++;
      } catch {
        drop("rejected", 1); // not a row at all
      }
    }
    if (pumping || queue.length === 0) return;
    if (queue.length >= batchSize) cancelTimer();
    schedule(queue.length >= batchSize ? 0 : flushIntervalMs);
  }

  async function flush(): Promise<void> {
    const target = enqueued;
    if (settled >= target || closed) return;
    const drained = new Promise<void>((resolve) => waiters.push({ target, resolve }));
    cancelTimer();
    wake?.(); // try now rather than at the end of the current backoff
    void pump();
    await drained;
  }

  async function close(timeoutMs = 5_000): Promise<void> {
    let deadline: ReturnType<typeof setTimeout> | undefined; // ref'd: shutdown waits for it
    const timedOut = await Promise.race([
      flush().then(() => false),
      new Promise<boolean>((resolve) => (deadline = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(deadline);
    closed = true;
    cancelTimer();
    wake?.();
    const rest = queue.length;
    if (rest > 0) {
      drop("unwritten", rest);
      settle(rest);
    }
    logger.info({ ...counts, timed_out: timedOut }, "guardrail event writer closed");
  }

  let closing: Promise<void> | null = null; // close() runs once
  return {
    record,
    flush,
    close: (timeoutMs) => (closing ??= close(timeoutMs)),
    stats: () => ({ queued: queue.length, ...counts }),
  };
}
