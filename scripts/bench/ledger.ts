/** Does the gateway's usage ledger keep up? Its own metrics during the run, rows after it. */
import { count } from "drizzle-orm";
import type { Database } from "../../src/store/db.ts";
import { usageEvents } from "../../src/store/schema.ts";

export interface LedgerMetrics {
  queueDepth: number;
  written: number;
  failures: number;
  spilled: number;
  dropped: number;
}

const METRICS: Record<keyof LedgerMetrics, string> = {
  queueDepth: "relayna_usage_ledger_queue_depth",
  written: "relayna_usage_ledger_written_total",
  failures: "relayna_usage_ledger_write_failures_total",
  spilled: "relayna_usage_ledger_spilled_total",
  dropped: "relayna_usage_ledger_dropped_total",
};

/** The ledger's counters from the control listener's /metrics (NaN for one that is missing). */
export async function readLedgerMetrics(controlUrl: string): Promise<LedgerMetrics> {
  const text = await (await fetch(`${controlUrl}/metrics`)).text();
  const value = (name: string) => {
    const line = text.split("\n").find((l) => l.startsWith(`${name} `));
    return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
  };
  const result = {} as LedgerMetrics;
  for (const [field, name] of Object.entries(METRICS)) result[field as keyof LedgerMetrics] = value(name);
  return result;
}

export interface UsageRowCounts {
  total: number;
  streamed: number;
  notStreamed: number;
  failed: number;
  /** Milliseconds we waited after the last request for the rows to land. */
  waitedMs: number;
}

async function countRows(database: Database): Promise<Omit<UsageRowCounts, "waitedMs">> {
  const groups = await database.db
    .select({ stream: usageEvents.stream, status: usageEvents.status, n: count() })
    .from(usageEvents)
    .groupBy(usageEvents.stream, usageEvents.status);
  const sum = (match: (g: (typeof groups)[number]) => boolean) =>
    groups.filter(match).reduce((total, g) => total + g.n, 0);
  return {
    total: sum(() => true),
    streamed: sum((g) => g.stream),
    notStreamed: sum((g) => !g.stream),
    failed: sum((g) => g.status !== "success"),
  };
}

/**
 * Waits (up to timeoutMs) until the table holds `expected` rows, then counts them. Not reaching
 * it is reported, not thrown: a ledger that falls behind is a finding.
 */
export async function awaitUsageRows(database: Database, expected: number, timeoutMs = 20_000): Promise<UsageRowCounts> {
  const started = performance.now();
  for (;;) {
    const counts = await countRows(database);
    const waitedMs = performance.now() - started;
    if (counts.total >= expected || waitedMs >= timeoutMs) return { ...counts, waitedMs };
    await Bun.sleep(250);
  }
}
