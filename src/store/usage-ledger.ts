/**
 * The usage ledger writer. The proxy calls record() on its hot path (a copy and a push); one
 * background pump writes the queue oldest first in multi-row appends, one in flight at a time.
 *
 * - Unavailable database (any error that is not a bad row): the rows stay queued, in order, and
 *   are retried with exponential backoff forever; one error line per outage.
 * - Bad row (SQLSTATE class 22/23, or a value the driver cannot serialize): isolated by
 *   usage-batch.ts; the good rows are written, the bad ones dropped and counted.
 * - Overflow: the queue keeps the oldest `maxQueue` rows; rows recorded while it is full go to
 *   the spill file (dropped and counted without a spill directory), so the table still gets the
 *   kept queue first, then the spill. Spill files — ours or a dead process's — are replayed once
 *   the queue is drained (see usage-spill.ts). Rows only in memory die with the process.
 * - Idempotency: a retried batch (its INSERT may have committed before the connection died) and
 *   every replayed batch first skip rows already in the table (usage-batch.ts): replay is
 *   exactly-once even after a crash mid-replay or a close() that timed out with an INSERT in flight.
 */
import type { Logger } from "pino";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Database } from "./db.ts";
import { usageEvents } from "./schema.ts";
import {
  APPEND_BATCH_ROWS,
  appendUsageRows,
  type BatchWriteResult,
  describeWriteError,
  type InsertUsageRows,
  writeUsageBatch,
} from "./usage-batch.ts";
import { createSpillReplayer, createSpillWriter } from "./usage-spill.ts";

export type UsageRow = typeof usageEvents.$inferInsert;

export interface UsageLedgerOptions {
  database: Pick<Database, "db" | "insertColumns">;
  /** How a batch is appended (default: appendUsageRows; tests inject failures here). */
  insertRows?: InsertUsageRows;
  logger: Logger;
  /** prom-client registry for the ledger's metrics (none registered without one). */
  registry?: Registry;
  /** Max rows per append (default APPEND_BATCH_ROWS, 2000). */
  batchSize?: number;
  /** Max time a row waits before a flush starts (default 250). */
  flushIntervalMs?: number;
  /** In-memory bound (default 50_000 rows); rows recorded beyond it spill. */
  maxQueue?: number;
  /** Spill directory; null = no spill: overflow is dropped and counted. */
  spillDir?: string | null;
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export interface UsageLedger {
  /** O(1), never throws, never awaits. createdAt defaults to now. */
  record(row: UsageRow): void;
  /** Writes everything queued now (waiting through retries) and persists pending spill rows. */
  flush(): Promise<void>;
  /** Drains until empty or timeoutMs (default 5000); the rest goes to the spill file, never silently lost. */
  close(timeoutMs?: number): Promise<void>;
  /** Rows written, successful INSERTs, failed (retried) writes, rows spilled to files, rows lost. */
  stats(): { queued: number; written: number; batches: number; failures: number; spilled: number; dropped: number };
}

function createMetrics(registry: Registry | undefined, queueDepth: () => number) {
  const registers = registry ? [registry] : [];
  const counter = (name: string, help: string) => new Counter({ name: `relayna_usage_ledger_${name}`, help, registers });
  new Gauge({
    name: "relayna_usage_ledger_queue_depth",
    help: "Usage rows waiting in memory.",
    registers,
    collect() {
      this.set(queueDepth());
    },
  });
  return {
    written: counter("written_total", "Usage rows written to PostgreSQL."),
    batches: counter("batches_total", "INSERT statements that wrote usage rows."),
    failures: counter("write_failures_total", "Usage writes that failed and will be retried."),
    spilled: counter("spilled_total", "Usage rows appended to spill files."),
    dropped: counter("dropped_total", "Usage rows lost: rejected by PostgreSQL, or overflow with nowhere to go (must stay 0)."),
    flush: new Histogram({
      name: "relayna_usage_ledger_flush_seconds",
      help: "Duration of one usage batch write, failed attempts included.",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}

export function createUsageLedger(options: UsageLedgerOptions): UsageLedger {
  const { logger } = options;
  const { db } = options.database;
  const insertRows = options.insertRows ?? appendUsageRows(options.database);
  const batchSize = Math.max(1, options.batchSize ?? APPEND_BATCH_ROWS);
  const flushIntervalMs = options.flushIntervalMs ?? 250;
  const maxQueue = Math.max(batchSize, options.maxQueue ?? 50_000);
  const [retryBaseMs, retryMaxMs] = [options.retryBaseMs ?? 200, options.retryMaxMs ?? 5_000];
  // The queue is rows[head..]; times[i] is when rows[i] was recorded. Compacted as head advances.
  let rows: UsageRow[] = [];
  let times: number[] = [];
  let head = 0;
  const queued = () => rows.length - head;
  const counts = { written: 0, batches: 0, failures: 0, spilled: 0, dropped: 0 };
  const metrics = createMetrics(options.registry, queued);
  const count = (what: keyof typeof counts, n: number) => {
    if (n <= 0) return;
    counts[what] += n;
    metrics[what].inc(n);
  };

  const spillDir = options.spillDir ?? null;
  const spill = spillDir
    ? createSpillWriter({
        dir: spillDir,
        logger,
        onAppended: (n) => (count("spilled", n), replayer?.markPending()),
        onLost: (n) => count("dropped", n),
      })
    : null;
  const replayer =
    spill &&
    createSpillReplayer({
      dir: spillDir!,
      writer: spill,
      batchSize,
      logger,
      write: async (batch) => {
        const result = await writeRows(batch, true);
        await afterWrite(result);
        return result.done;
      },
      onBadLines: (n) => count("dropped", n),
    });

  let enqueued = 0; // rows ever queued
  let settled = 0; // rows that left the queue: written, dropped, or spilled by close()
  let drainTarget = 0; // flush(): write however few rows until `settled` reaches it
  let waiters: { target: number; resolve: () => void }[] = [];
  let pumping = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let timerDue = Number.POSITIVE_INFINITY;
  let wake: (() => void) | null = null;
  let outageSince: number | null = null;
  let attempt = 0;
  let headFailed = false; // the queue head's last write failed: it may have committed, dedupe it
  let closing = false;
  let abandoned = false; // close() finished: the pump stops, records go to the spill

  function dequeue(n: number): UsageRow[] {
    const out = rows.slice(head, head + n);
    head += out.length;
    if (head === rows.length) [rows, times, head] = [[], [], 0];
    else if (head >= 1024 && head * 2 >= rows.length) [rows, times, head] = [rows.slice(head), times.slice(head), 0];
    settled += out.length;
    const ready = waiters.filter((w) => w.target <= settled);
    if (ready.length > 0) waiters = waiters.filter((w) => w.target > settled);
    for (const w of ready) w.resolve();
    return out;
  }

  // Rows waiting for their append are bounded too: past this the disk is not keeping up.
  const maxSpillPending = Math.max(maxQueue, 10_000);
  function overflow(batch: UsageRow[]): void {
    if (spill && (abandoned || spill.pending < maxSpillPending)) spill.add(batch);
    else count("dropped", batch.length);
  }

  function schedule(delayMs: number): void {
    const due = Date.now() + delayMs;
    if (abandoned || (timer && timerDue <= due)) return;
    if (timer) clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(() => {
      [timer, timerDue] = [null, Number.POSITIVE_INFINITY];
      void pump();
    }, delayMs);
    timer.unref();
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => ((wake = null), resolve()), ms);
      t.unref();
      wake = () => (clearTimeout(t), (wake = null), resolve());
    });
  }

  /** writeUsageBatch plus the ledger's counting and logging of bad rows. */
  async function writeRows(batch: UsageRow[], dedupe: boolean): Promise<BatchWriteResult> {
    const result = await writeUsageBatch(db, batch, dedupe, insertRows);
    count("written", result.written);
    count("batches", result.inserts);
    count("dropped", result.bad);
    if (result.bad > 0) {
      logger.error({ dropped: result.bad, ...describeWriteError(result.badError) }, "usage ledger: rows rejected by the database; dropped");
    }
    return result;
  }

  async function afterWrite(result: BatchWriteResult): Promise<void> {
    if (result.error === undefined) {
      if (outageSince !== null) logger.info({ outage_ms: Date.now() - outageSince, queued: queued() }, "usage ledger: writes recovered");
      [outageSince, attempt] = [null, 0];
      return;
    }
    count("failures", 1);
    if (outageSince === null) {
      outageSince = Date.now();
      logger.error({ queued: queued(), ...describeWriteError(result.error) }, "usage ledger: database write failed; retrying");
    }
    attempt++;
    await sleep(Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempt - 1, 20)));
  }

  async function writeHead(): Promise<void> {
    const started = performance.now();
    const result = await writeRows(rows.slice(head, head + batchSize), headFailed);
    metrics.flush.observe((performance.now() - started) / 1000);
    if (abandoned) return; // close() already moved the queue, this batch included, to the spill
    dequeue(result.done);
    headFailed = result.error !== undefined;
    await afterWrite(result);
  }

  function writeDue(): boolean {
    if (queued() === 0) return false;
    return queued() >= batchSize || drainTarget > settled || Date.now() - times[head]! >= flushIntervalMs;
  }

  async function pump(): Promise<void> {
    if (pumping || abandoned) return;
    pumping = true;
    try {
      while (!abandoned) {
        if (writeDue()) await writeHead();
        else if (replayer?.due && !closing) await replayer.step();
        else break;
      }
    } catch (err) {
      // Only spill-directory I/O lands here (writes report errors as values): retry the pass later.
      logger.error(describeWriteError(err), "usage ledger: spill replay failed; retrying");
      replayer?.stop();
      await sleep(retryMaxMs);
    } finally {
      pumping = false;
    }
    if (abandoned) return replayer?.stop();
    if (queued() > 0) schedule(drainTarget > settled ? 0 : Math.max(0, times[head]! + flushIntervalMs - Date.now()));
    else if (replayer?.due && !closing) schedule(0);
  }

  function record(row: UsageRow): void {
    try {
      const now = Date.now();
      const copy: UsageRow = { ...row, createdAt: row.createdAt ?? new Date(now) };
      if (abandoned || queued() >= maxQueue) return overflow([copy]);
      rows.push(copy);
      times.push(now);
      enqueued++;
      if (pumping) return;
      if (queued() >= batchSize) schedule(0);
      else if (queued() === 1) schedule(flushIntervalMs);
    } catch {
      count("dropped", 1); // not a row at all
    }
  }

  async function flush(): Promise<void> {
    const target = enqueued;
    if (settled < target && !abandoned) {
      drainTarget = Math.max(drainTarget, target);
      const drained = new Promise<void>((resolve) => waiters.push({ target, resolve }));
      wake?.(); // try now rather than at the end of the current backoff
      void pump();
      await drained;
    }
    await spill?.idle();
  }

  async function close(timeoutMs = 5_000): Promise<void> {
    closing = true;
    let deadline: ReturnType<typeof setTimeout> | undefined; // ref'd: the process waits for the ledger
    const timeout = new Promise<true>((resolve) => (deadline = setTimeout(() => resolve(true), timeoutMs)));
    const drained = (async () => {
      while (queued() > 0 && !abandoned) await flush();
      return false as const;
    })();
    const timedOut = await Promise.race([drained, timeout]);
    clearTimeout(deadline);
    abandoned = true;
    wake?.();
    if (timer) clearTimeout(timer);
    const rest = dequeue(queued());
    if (rest.length > 0 && !spill) logger.error({ dropped: rest.length }, "usage ledger: closed with unwritten rows and no spill directory");
    if (rest.length > 0) overflow(rest);
    await spill?.idle();
    logger.info({ ...counts, timed_out: timedOut, unwritten: rest.length }, "usage ledger closed");
  }

  let closed: Promise<void> | null = null;
  if (replayer) schedule(0); // replay what a previous process left behind
  return {
    record,
    flush,
    close: (timeoutMs) => (closed ??= close(timeoutMs)),
    stats: () => ({ queued: queued(), ...counts }),
  };
}
