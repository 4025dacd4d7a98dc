/**
 * From runs to claims: per scenario and target, medians across rounds (with the rps range);
 * derived figures (added latency, gateway/bare ratios) are medians of per-round pairs, since a
 * round's targets ran back to back under the same machine noise. Loaded and unloaded runs are
 * aggregated apart.
 */
import type { RunRecord } from "./rounds.ts";
import type { ScenarioId } from "./scenarios.ts";
import { TARGETS, type TargetId } from "./stack.ts";
import { spread, type Spread } from "./stats.ts";

export interface TargetStats {
  rps: Spread;
  p50: Spread;
  p99: Spread;
  ttfbP50: Spread;
  ttfbP99: Spread;
  /** p50 − direct p50 of the same round (ms); NaN for direct. */
  addedP50: Spread;
  /** CPU microseconds per completed request, by process. */
  cpuUsPerRequest: { proxy: Spread; stub: Spread; loadgen: Spread; services: Spread };
  /** Cores the load generator kept busy during the window. */
  loadgenCores: Spread;
  /** Share of all cores busy during the window (anything on the machine). */
  machineBusy: Spread;
  errors: number;
  issued: number;
}

export interface GatewayVsBare {
  rpsRatio: Spread;
  p50DeltaMs: Spread;
  p99DeltaMs: Spread;
  ttfbP50DeltaMs: Spread;
  /** Gateway process CPU per request ÷ bare proxy process CPU per request. */
  cpuRatio: Spread;
}

/** The variant key against the plain key on the same gateway, per round. */
export interface VariantVsGateway {
  rpsRatio: Spread;
  p50DeltaMs: Spread;
  ttfbP50DeltaMs: Spread;
  cpuRatio: Spread;
}

/**
 * The unloaded runs (one request at a time): the latency a request pays without queueing, per
 * target, and the differences the latency goals are judged on, as medians of per-round pairs.
 */
export interface UnloadedStats {
  targets: Partial<Record<TargetId, { p50: Spread; ttfbP50: Spread }>>;
  /** gateway p50 − direct p50. */
  addedP50Ms: Spread;
  /** gateway TTFB p50 − bare TTFB p50. */
  ttfbP50VsBareMs: Spread;
  /** variant − gateway (plain key), when there is a variant. */
  variant: { p50DeltaMs: Spread; ttfbP50DeltaMs: Spread } | null;
}

export interface ScenarioStats {
  targets: Partial<Record<TargetId, TargetStats>> & Record<(typeof TARGETS)[number], TargetStats>;
  gatewayVsBare: GatewayVsBare;
  variantVsGateway: VariantVsGateway | null;
  /** Null when the unloaded runs were skipped (--latency-duration 0). */
  unloaded: UnloadedStats | null;
}

const perRequest = (ms: number | null | undefined, completed: number) =>
  ms == null || completed === 0 ? Number.NaN : (ms * 1000) / completed;

function targetStats(runs: RunRecord[], direct: Map<number, RunRecord>): TargetStats {
  const over = (pick: (r: RunRecord) => number) => spread(runs.map(pick));
  const cpu = (r: RunRecord) => r.load.cpuMs;
  return {
    rps: over((r) => r.load.requestsPerSecond),
    p50: over((r) => r.load.latencyMs.p50),
    p99: over((r) => r.load.latencyMs.p99),
    ttfbP50: over((r) => r.load.ttfbMs.p50),
    ttfbP99: over((r) => r.load.ttfbMs.p99),
    addedP50: over((r) =>
      r.target === "direct" ? Number.NaN : r.load.latencyMs.p50 - (direct.get(r.round)?.load.latencyMs.p50 ?? Number.NaN),
    ),
    cpuUsPerRequest: {
      proxy: over((r) => perRequest(cpu(r).watched.proxy, r.load.completed)),
      stub: over((r) => perRequest(cpu(r).watched.stub, r.load.completed)),
      loadgen: over((r) => perRequest(cpu(r).loadgen, r.load.completed)),
      services: over((r) => perRequest(cpu(r).services, r.load.completed)),
    },
    loadgenCores: over((r) => cpu(r).loadgen / r.load.windowMs),
    machineBusy: over((r) => {
      const { machineBusy, machineTotal } = cpu(r);
      return machineBusy == null || !machineTotal ? Number.NaN : machineBusy / machineTotal;
    }),
    errors: runs.reduce((sum, r) => sum + r.load.errors, 0),
    issued: runs.reduce((sum, r) => sum + r.load.issued, 0),
  };
}

function pairs(gateway: RunRecord[], bare: Map<number, RunRecord>, f: (g: RunRecord, b: RunRecord) => number): Spread {
  return spread(gateway.map((g) => (bare.has(g.round) ? f(g, bare.get(g.round)!) : Number.NaN)));
}

/** A phase's runs of one target, as a list and by round. */
function byTarget(runs: RunRecord[]) {
  const of = (target: TargetId) => runs.filter((r) => r.target === target);
  return { of, byRound: (target: TargetId) => new Map(of(target).map((r) => [r.round, r])) };
}

function aggregateUnloaded(runs: RunRecord[], order: readonly TargetId[]): UnloadedStats | null {
  if (runs.length === 0) return null;
  const { of, byRound } = byTarget(runs);
  const p50 = (r: RunRecord) => r.load.latencyMs.p50;
  const ttfb = (r: RunRecord) => r.load.ttfbMs.p50;
  const gateway = of("gateway");
  const variant = of("variant");
  const plain = byRound("gateway");
  return {
    targets: Object.fromEntries(order.map((t) => [t, { p50: spread(of(t).map(p50)), ttfbP50: spread(of(t).map(ttfb)) }])),
    addedP50Ms: pairs(gateway, byRound("direct"), (g, d) => p50(g) - p50(d)),
    ttfbP50VsBareMs: pairs(gateway, byRound("bare"), (g, b) => ttfb(g) - ttfb(b)),
    variant:
      variant.length === 0
        ? null
        : { p50DeltaMs: pairs(variant, plain, (v, g) => p50(v) - p50(g)), ttfbP50DeltaMs: pairs(variant, plain, (v, g) => ttfb(v) - ttfb(g)) },
  };
}

export function aggregateScenario(records: RunRecord[], scenario: ScenarioId, order: readonly TargetId[] = TARGETS): ScenarioStats {
  const mine = records.filter((r) => r.scenario === scenario);
  const { of, byRound } = byTarget(mine.filter((r) => r.phase !== "unloaded"));
  const direct = byRound("direct");
  const bare = byRound("bare");
  const targets = Object.fromEntries(order.map((t) => [t, targetStats(of(t), direct)])) as ScenarioStats["targets"];
  const gateway = of("gateway");
  const cpuPerRequest = (r: RunRecord) => perRequest(r.load.cpuMs.watched.proxy, r.load.completed);
  const variant = of("variant");
  const plain = byRound("gateway");
  return {
    targets,
    unloaded: aggregateUnloaded(
      mine.filter((r) => r.phase === "unloaded"),
      order,
    ),
    variantVsGateway:
      variant.length === 0
        ? null
        : {
            rpsRatio: pairs(variant, plain, (v, g) => v.load.requestsPerSecond / g.load.requestsPerSecond),
            p50DeltaMs: pairs(variant, plain, (v, g) => v.load.latencyMs.p50 - g.load.latencyMs.p50),
            ttfbP50DeltaMs: pairs(variant, plain, (v, g) => v.load.ttfbMs.p50 - g.load.ttfbMs.p50),
            cpuRatio: pairs(variant, plain, (v, g) => cpuPerRequest(v) / cpuPerRequest(g)),
          },
    gatewayVsBare: {
      rpsRatio: pairs(gateway, bare, (g, b) => g.load.requestsPerSecond / b.load.requestsPerSecond),
      p50DeltaMs: pairs(gateway, bare, (g, b) => g.load.latencyMs.p50 - b.load.latencyMs.p50),
      p99DeltaMs: pairs(gateway, bare, (g, b) => g.load.latencyMs.p99 - b.load.latencyMs.p99),
      ttfbP50DeltaMs: pairs(gateway, bare, (g, b) => g.load.ttfbMs.p50 - b.load.ttfbMs.p50),
      cpuRatio: pairs(gateway, bare, (g, b) => cpuPerRequest(g) / cpuPerRequest(b)),
    },
  };
}
