/**
 * The schedule: per scenario, R loaded rounds; each round runs every target once, back to back,
 * in an order rotated by one each round (no target always runs first, or right after the
 * gateway). Then, unless --latency-duration 0, R unloaded rounds the same way: one request at a
 * time, the latency a request pays without queueing behind others. Each run is a fresh load
 * generator process.
 */
import type { Cleanup } from "./cleanup.ts";
import { REPO_ROOT } from "./children.ts";
import { readLedgerMetrics, type LedgerMetrics } from "./ledger.ts";
import type { LoadSummary } from "./load.ts";
import type { BenchOptions } from "./options.ts";
import { CHAT_PATH, requestHeaders, type Scenario, type ScenarioId } from "./scenarios.ts";
import { TARGETS, type Stack, type Target, type TargetId } from "./stack.ts";

/** Targets served by the gateway process (their runs end with a look at the ledger). */
export const isGateway = (id: TargetId) => id === "gateway" || id === "variant";

export interface RunRecord {
  scenario: ScenarioId;
  target: TargetId;
  round: number;
  /** 0 = ran first in its round. */
  position: number;
  /** "unloaded": one request at a time, after the scenario's loaded rounds; absent: loaded. */
  phase?: "unloaded";
  load: LoadSummary;
  /** Gateway runs: the ledger's metrics right after the run. */
  ledger?: LedgerMetrics;
}

/** Pause between runs: lets sockets close and the gateway's ledger flush outside any window. */
const SETTLE_MS = 300;

export function roundOrder(round: number, targets: readonly TargetId[] = TARGETS): TargetId[] {
  return targets.map((_, i) => targets[(i + round) % targets.length]!);
}

interface RunShape {
  concurrency: number;
  durationS: number;
  warmupS: number;
}

function loadArgs(target: Target, scenario: Scenario, stack: Stack, run: RunShape): string[] {
  const headers = Object.entries(requestHeaders(scenario, target.authorization)).flatMap(([name, value]) => [
    "--header",
    `${name}: ${value}`,
  ]);
  const proxy = target.id === "direct" ? [] : ["--watch", `proxy=${target.proxyPid}`];
  const watch = [...proxy, "--watch", `stub=${stack.stubPid}`];
  return [
    "bun",
    "scripts/bench/load.ts",
    "--url",
    `${target.url}${CHAT_PATH}`,
    "--body",
    scenario.body,
    ...headers,
    ...(scenario.stream ? ["--stream"] : []),
    "--concurrency",
    String(run.concurrency),
    "--duration",
    String(run.durationS),
    "--warmup",
    String(run.warmupS),
    ...watch,
  ];
}

export function createLoadRunner(cleanup: Cleanup) {
  let current: ReturnType<typeof Bun.spawn> | null = null;
  cleanup.add("stop the load generator", async () => {
    current?.kill("SIGKILL");
    await current?.exited;
  });

  return async function runLoad(args: string[], timeoutMs: number): Promise<LoadSummary> {
    const proc = Bun.spawn(args, {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    current = proc;
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    clearTimeout(timer);
    current = null;
    if (code !== 0) throw new Error(`load generator exited ${code}: ${stderr.trim() || stdout.trim()}`);
    return JSON.parse(stdout) as LoadSummary;
  };
}

export async function runSchedule(
  stack: Stack,
  scenarioList: Scenario[],
  o: BenchOptions,
  cleanup: Cleanup,
  log: (line: string) => void,
): Promise<RunRecord[]> {
  const runLoad = createLoadRunner(cleanup);
  const loaded: RunShape = { concurrency: o.concurrency, durationS: o.durationS, warmupS: o.warmupS };
  // Half a second warms the connection and the JIT: at one request at a time that is thousands.
  const unloaded: RunShape = { concurrency: 1, durationS: o.latencyS, warmupS: 0.5 };
  const phases = o.latencyS > 0 ? ([[loaded, undefined], [unloaded, "unloaded"]] as const) : ([[loaded, undefined]] as const);
  const records: RunRecord[] = [];
  for (const scenario of scenarioList) {
    for (const [shape, phase] of phases) {
      const timeoutMs = (shape.warmupS + shape.durationS) * 1000 + 30_000;
      for (let round = 0; round < o.rounds; round++) {
        const order = roundOrder(round, stack.order);
        for (const [position, id] of order.entries()) {
          const load = await runLoad(loadArgs(stack.targets[id]!, scenario, stack, shape), timeoutMs);
          const ledger = isGateway(id) ? await readLedgerMetrics(stack.controlUrl) : undefined;
          records.push({ scenario: scenario.id, target: id, round, position, ...(phase && { phase }), load, ...(ledger && { ledger }) });
          const errors = load.errors > 0 ? `  ERRORS ${load.errors} (${load.firstError})` : "";
          const queue = ledger ? `  ledger queue ${ledger.queueDepth}` : "";
          log(
            `  ${scenario.id} ${phase ? "unloaded " : ""}round ${round + 1}/${o.rounds} ${id.padEnd(7)} ${load.requestsPerSecond.toFixed(0).padStart(6)} req/s` +
              `  p50 ${load.latencyMs.p50.toFixed(3)} ms${queue}${errors}`,
          );
          await Bun.sleep(SETTLE_MS);
        }
      }
    }
  }
  return records;
}
