/**
 * The benchmark's load generator, run as its own process: `concurrency` keep-alive workers
 * send the same POST in a closed loop. Requests completing during the warm-up are not measured;
 * after `duration` no new request starts and the ones in flight finish (counted in `issued`,
 * not measured). Latency runs from just before fetch() to the end of the body; TTFB until the
 * first body chunk is read. Prints one JSON LoadSummary on stdout.
 *
 * bun scripts/bench/load.ts --url URL --body JSON [--header 'name: value']... [--stream]
 *   [--concurrency 32] [--duration 4] [--warmup 1] [--watch name=pid]...
 */
import { parseArgs } from "node:util";
import { cpuByPid, cpuDeltaMs, machineCpu, processCpuMs } from "./cpu.ts";
import { describe, type Distribution } from "./stats.ts";

export interface LoadSummary {
  url: string;
  concurrency: number;
  windowMs: number;
  /** Requests that completed (successfully) inside the measurement window. */
  completed: number;
  requestsPerSecond: number;
  /** Responses with a status other than 200, truncated streams and transport errors (whole run). */
  errors: number;
  firstError: string | null;
  /** Every request sent, warm-up and tail included (the gateway owes one usage row for each). */
  issued: number;
  latencyMs: Distribution;
  ttfbMs: Distribution;
  /** CPU milliseconds used during the window. */
  cpuMs: {
    loadgen: number;
    /** Per `--watch name=pid`; null when /proc could not be read. */
    watched: Record<string, number | null>;
    /** PostgreSQL and Redis processes on this machine (any database, not only ours). */
    services: number | null;
    machineBusy: number | null;
    machineTotal: number | null;
  };
}

interface LoadOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  stream: boolean;
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  watch: Record<string, number>;
}

const SERVICES = ["postgres", "redis-server"];

function readOptions(): LoadOptions {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      url: { type: "string" },
      body: { type: "string" },
      header: { type: "string", multiple: true, default: [] },
      stream: { type: "boolean", default: false },
      concurrency: { type: "string", default: "32" },
      duration: { type: "string", default: "4" },
      warmup: { type: "string", default: "1" },
      watch: { type: "string", multiple: true, default: [] },
    },
  });
  if (!values.url || values.body === undefined) throw new Error("--url and --body are required");
  const headers: Record<string, string> = {};
  for (const line of values.header) {
    const colon = line.indexOf(":");
    if (colon < 1) throw new Error(`--header ${JSON.stringify(line)} must be "name: value"`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const watch: Record<string, number> = {};
  for (const entry of values.watch) {
    const [name, pid] = entry.split("=");
    if (!name || !/^\d+$/.test(pid ?? "")) throw new Error(`--watch ${JSON.stringify(entry)} must be name=pid`);
    watch[name] = Number(pid);
  }
  return {
    url: values.url,
    body: values.body,
    headers,
    stream: values.stream,
    concurrency: Number(values.concurrency),
    durationMs: Number(values.duration) * 1000,
    warmupMs: Number(values.warmup) * 1000,
    watch,
  };
}

/** CPU counters at one instant, to subtract at the window's two ends. */
function cpuSnapshot(watch: Record<string, number>) {
  const usage = process.cpuUsage();
  return {
    loadgen: (usage.user + usage.system) / 1000,
    watched: Object.fromEntries(Object.entries(watch).map(([name, pid]) => [name, processCpuMs(pid)])),
    services: cpuByPid(SERVICES),
    machine: machineCpu(),
  };
}

type CpuSnapshot = ReturnType<typeof cpuSnapshot>;

function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): LoadSummary["cpuMs"] {
  const watched: Record<string, number | null> = {};
  for (const name of Object.keys(a.watched)) {
    const [before, after] = [a.watched[name], b.watched[name]];
    watched[name] = before == null || after == null ? null : after - before;
  }
  const machine = a.machine && b.machine;
  return {
    loadgen: b.loadgen - a.loadgen,
    watched,
    services: a.services.size > 0 ? cpuDeltaMs(a.services, b.services) : null,
    machineBusy: machine ? b.machine!.busyMs - a.machine!.busyMs : null,
    machineTotal: machine ? b.machine!.totalMs - a.machine!.totalMs : null,
  };
}

const DONE = "[DONE]";

export async function runLoad(o: LoadOptions): Promise<LoadSummary> {
  const latency: number[] = [];
  const ttfb: number[] = [];
  let issued = 0;
  let errors = 0;
  let firstError: string | null = null;
  const fail = (message: string) => {
    errors++;
    firstError ??= message;
  };

  const startedAt = performance.now();
  const measureFrom = startedAt + o.warmupMs;
  const stopAt = measureFrom + o.durationMs;
  let windowStart: CpuSnapshot | undefined;
  let windowEnd: CpuSnapshot | undefined;
  const startTimer = setTimeout(() => (windowStart = cpuSnapshot(o.watch)), o.warmupMs);
  const endTimer = setTimeout(() => (windowEnd = cpuSnapshot(o.watch)), o.warmupMs + o.durationMs);

  async function once(): Promise<void> {
    issued++;
    const sentAt = performance.now();
    const response = await fetch(o.url, { method: "POST", headers: o.headers, body: o.body });
    const reader = response.body!.getReader();
    let firstAt = 0;
    let tail = "";
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      firstAt ||= performance.now();
      // Only the last few characters matter: a stream must end with [DONE].
      if (o.stream) tail = (tail + decoder.decode(value, { stream: true })).slice(-32);
    }
    const endAt = performance.now();
    if (response.status !== 200) return fail(`status ${response.status}`);
    if (o.stream && !tail.includes(DONE)) return fail("stream ended without [DONE]");
    if (endAt >= measureFrom && endAt < stopAt) {
      latency.push(endAt - sentAt);
      ttfb.push((firstAt || endAt) - sentAt);
    }
  }

  async function worker(): Promise<void> {
    while (performance.now() < stopAt) {
      await once().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
    }
  }

  await Promise.all(Array.from({ length: o.concurrency }, worker));
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  windowStart ??= cpuSnapshot(o.watch);
  windowEnd ??= cpuSnapshot(o.watch);
  return {
    url: o.url,
    concurrency: o.concurrency,
    windowMs: o.durationMs,
    completed: latency.length,
    requestsPerSecond: latency.length / (o.durationMs / 1000),
    errors,
    firstError,
    issued,
    latencyMs: describe(latency),
    ttfbMs: describe(ttfb),
    cpuMs: cpuBetween(windowStart, windowEnd),
  };
}

if (import.meta.main) {
  try {
    const summary = await runLoad(readOptions());
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } catch (err) {
    console.error(`load generator failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
