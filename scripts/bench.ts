/**
 * `bun run bench`: throughput and latency of the gateway against the stub upstream directly and
 * a bare Bun pass-through proxy, each a real process, driven by a separate load generator
 * process. A benchmark, not a test: how to read it is in bench/README.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { aggregateScenario, type ScenarioStats } from "./bench/aggregate.ts";
import { REPO_ROOT } from "./bench/children.ts";
import { cleanUpOnSignals, createCleanup } from "./bench/cleanup.ts";
import { awaitUsageRows, readLedgerMetrics } from "./bench/ledger.ts";
import { parseBenchOptions, USAGE, type BenchOptions } from "./bench/options.ts";
import { isGateway, runSchedule } from "./bench/rounds.ts";
import { checkTargets, scenarios, type ScenarioId } from "./bench/scenarios.ts";
import { GATEWAY_LOG_LEVEL, startStack } from "./bench/stack.ts";
import { scenarioReport } from "./bench/table.ts";

const log = (line: string) => console.log(line);

function git(args: string[]): string {
  const result = Bun.spawnSync(["git", ...args], { cwd: REPO_ROOT, stdout: "pipe", stderr: "ignore" });
  return result.exitCode === 0 ? result.stdout.toString().trim() : "";
}

function environment() {
  const commit = git(["rev-parse", "--short", "HEAD"]) || "unknown";
  const dirty = git(["status", "--porcelain", "--", "src", "drizzle"]) !== "";
  return {
    bun: Bun.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    loadavgAtStart: loadavg().map((l) => Number(l.toFixed(2))),
    commit: dirty ? `${commit} + uncommitted changes in src/` : commit,
  };
}

function header(o: BenchOptions, env: ReturnType<typeof environment>, logLevel: string): string[] {
  return [
    `Relayna Gateway benchmark — ${new Date().toISOString()}`,
    `  bun ${env.bun}, ${env.cpus} CPUs (${env.cpuModel}), load average at start ${env.loadavgAtStart.join(" ")}, gateway at ${env.commit}`,
    `  concurrency ${o.concurrency}; per scenario ${o.rounds} rounds of direct, bare, gateway${o.limits || o.guardrails ? ", variant" : ""} (order rotated each round),`,
    `  each run ${o.warmupS} s warm-up + ${o.durationS} s measured, load generator scripts/bench/load.ts (Bun fetch, own process);`,
    o.latencyS > 0
      ? `  then per scenario ${o.rounds} unloaded rounds, one request at a time (0.5 s warm-up + ${o.latencyS} s each): the latency goals are judged there;`
      : "  no unloaded rounds (--latency-duration 0): the latency goals are judged under load;",
    `  latency = fetch() to the end of the body, TTFB = fetch() to the first body chunk read`,
    `  gateway: bun src/main.ts + PostgreSQL + Redis; a plain key (auth, policy and usage ledger, no limits, no guardrails)${
      o.limits || o.guardrails ? `;\n  variant: the same gateway through a second key with ${[o.limits && "RPM/TPM/budgets (never reached)", o.guardrails && "pii-redact mandatory"].filter(Boolean).join(" + ")}` : ""
    };`,
    `  LOG_LEVEL=${logLevel}: request logs off (a stdout line per request would dominate the profile)`,
  ];
}

async function run(o: BenchOptions): Promise<void> {
  const cleanup = createCleanup();
  cleanUpOnSignals(cleanup);
  let failed = false;
  try {
    const startedAt = performance.now();
    const env = environment();
    for (const line of header(o, env, GATEWAY_LOG_LEVEL)) log(line);
    const stack = await startStack(cleanup, (line) => log(`  ${line}`), [], o.limits, o.guardrails);

    const list = scenarios(o.chunks, o.chunkDelayMs);
    const targets = stack.order.map((id) => stack.targets[id]!);
    for (const scenario of list) await checkTargets(scenario, targets);
    // One check request per scenario and gateway target reached the gateway.
    const checkRequests = list.length * stack.order.filter(isGateway).length;
    log(`  checked: every target answers 200; streams relay the same SSE frames`);

    const records = await runSchedule(stack, list, o, cleanup, log);
    const stats = Object.fromEntries(list.map((s) => [s.id, aggregateScenario(records, s.id, stack.order)])) as Record<ScenarioId, ScenarioStats>;

    const gatewayRuns = records.filter((r) => isGateway(r.target));
    const made = gatewayRuns.reduce((sum, r) => sum + r.load.issued, 0) + checkRequests;
    const madeStreamed = gatewayRuns.filter((r) => r.scenario === "stream").reduce((s, r) => s + r.load.issued, 0) + checkRequests / list.length;
    const rows = await awaitUsageRows(stack.database, made);
    const ledger = await readLedgerMetrics(stack.controlUrl);
    const maxQueue = Math.max(...gatewayRuns.map((r) => r.ledger?.queueDepth ?? Number.NaN));
    const warnings = stack.gateway.process.stdout.filter((l) => /"level":"(warn|error|fatal)"/.test(l));

    log("");
    for (const scenario of list) {
      for (const line of scenarioReport(scenario, stats[scenario.id], stack.variantLabel, o)) log(line);
      log("");
    }
    log(`usage ledger: gateway requests made ${made} (${madeStreamed} streamed, ${made - madeStreamed} not; warm-up and checks included)`);
    log(
      `              usage rows ${rows.total} (${rows.streamed} streamed, ${rows.notStreamed} not, ${rows.failed} not success)` +
        ` after waiting ${(rows.waitedMs / 1000).toFixed(1)} s; ${rows.total === made ? "match" : `MISMATCH by ${rows.total - made}`}`,
    );
    log(
      `              queue depth right after each gateway run ≤ ${maxQueue}; dropped ${ledger.dropped}, spilled ${ledger.spilled}, write failures ${ledger.failures}`,
    );
    log(`gateway log lines at warn or above: ${warnings.length}${warnings[0] ? ` (first: ${warnings[0].slice(0, 200)})` : ""}`);

    mkdirSync(o.outDir, { recursive: true });
    const path = join(o.outDir, `bench-${new Date().toISOString().replaceAll(":", "-").replace(/\.\d+Z$/, "Z")}.json`);
    const summary = {
      environment: env,
      options: o,
      gatewayLogLevel: GATEWAY_LOG_LEVEL,
      scenarios: Object.fromEntries(list.map((s) => [s.id, { title: s.title, body: JSON.parse(s.body), headers: s.headers, ...stats[s.id] }])),
      ledger: { requestsMade: made, streamedMade: madeStreamed, rows, metrics: ledger, maxQueueAfterRun: maxQueue },
      gatewayWarnings: warnings.slice(0, 20),
      runs: records,
    };
    writeFileSync(path, `${JSON.stringify(summary, null, 2)}\n`);
    log(`summary written to ${path} (whole run ${((performance.now() - startedAt) / 1000).toFixed(0)} s)`);
  } catch (err) {
    failed = true;
    // After Ctrl-C the children are being stopped under us: that is not a finding.
    if (!cleanup.started) console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    await cleanup.run();
  }
  process.exit(process.exitCode ?? (failed ? 1 : 0));
}

let options: BenchOptions | null;
try {
  options = parseBenchOptions(Bun.argv.slice(2));
} catch (err) {
  console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
  process.exit(2);
}
if (options === null) {
  console.log(USAGE);
  process.exit(0);
}
await run(options);
