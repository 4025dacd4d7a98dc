/** Run records for the benchmark's own tests: every window 1 s, every percentile the p50 given. */
import type { LoadSummary } from "./load.ts";
import type { RunRecord } from "./rounds.ts";
import type { ScenarioId } from "./scenarios.ts";
import type { TargetId } from "./stack.ts";

const dist = (p50: number) => ({ count: 1, mean: p50, p50, p90: p50, p99: p50, max: p50 });

export function fakeRun(
  target: TargetId,
  o: { round?: number; rps: number; p50: number; proxyCpuMs?: number; phase?: "unloaded"; scenario?: ScenarioId },
): RunRecord {
  const load: LoadSummary = {
    url: "http://x",
    concurrency: o.phase ? 1 : 32,
    windowMs: 1000,
    completed: o.rps,
    requestsPerSecond: o.rps,
    errors: 0,
    firstError: null,
    issued: o.rps,
    latencyMs: dist(o.p50),
    ttfbMs: dist(o.p50),
    cpuMs: { loadgen: 100, watched: { proxy: o.proxyCpuMs ?? 100, stub: 10 }, services: 5, machineBusy: 1, machineTotal: 2 },
  };
  return { scenario: o.scenario ?? "stream", target, round: o.round ?? 0, position: 0, ...(o.phase && { phase: o.phase }), load };
}
