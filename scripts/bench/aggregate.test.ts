import { expect, test } from "bun:test";
import { aggregateScenario } from "./aggregate.ts";
import type { LoadSummary } from "./load.ts";
import type { RunRecord } from "./rounds.ts";
import type { TargetId } from "./stack.ts";

const dist = (p50: number) => ({ count: 1, mean: p50, p50, p90: p50, p99: p50, max: p50 });

function run(target: TargetId, round: number, rps: number, p50: number, proxyCpuMs: number): RunRecord {
  const load: LoadSummary = {
    url: "http://x",
    concurrency: 1,
    windowMs: 1000,
    completed: rps,
    requestsPerSecond: rps,
    errors: 0,
    firstError: null,
    issued: rps,
    latencyMs: dist(p50),
    ttfbMs: dist(p50),
    cpuMs: { loadgen: 100, watched: { proxy: proxyCpuMs, stub: 10 }, services: 5, machineBusy: 1, machineTotal: 2 },
  };
  return { scenario: "stream", target, round, position: 0, load };
}

test("the variant is compared with the plain gateway key round by round", () => {
  const order: TargetId[] = ["direct", "bare", "gateway", "variant"];
  const records = [0, 1, 2].flatMap((round) => {
    const noise = 1 + round * 0.5; // the whole round slower or faster: the pairs cancel it
    return [
      run("direct", round, 3000 / noise, 1, 0),
      run("bare", round, 2000 / noise, 2, 100),
      run("gateway", round, 1000 / noise, 3, 100),
      run("variant", round, 800 / noise, 3.5, 120),
    ];
  });
  const stats = aggregateScenario(records, "stream", order);
  expect(stats.variantVsGateway!.rpsRatio.median).toBeCloseTo(0.8);
  expect(stats.variantVsGateway!.rpsRatio.min).toBeCloseTo(0.8);
  expect(stats.variantVsGateway!.ttfbP50DeltaMs.median).toBeCloseTo(0.5);
  expect(stats.gatewayVsBare.rpsRatio.median).toBeCloseTo(0.5);
  expect(Object.keys(stats.targets)).toEqual(order);
  expect(aggregateScenario(records.filter((r) => r.target !== "variant"), "stream").variantVsGateway).toBeNull();
});

test("unloaded runs are aggregated apart: the latency goals' differences, per round, and the loaded figures untouched", () => {
  const order: TargetId[] = ["direct", "bare", "gateway", "variant"];
  const loaded = [0, 1].flatMap((round) => [
    run("direct", round, 3000, 10, 0),
    run("bare", round, 2000, 16, 100),
    run("gateway", round, 1000, 32, 100),
    run("variant", round, 800, 40, 120),
  ]);
  const unloaded = [0, 1].flatMap((round) => {
    const slow = round * 0.1; // the whole round slower: the pairs cancel it
    return [
      { ...run("direct", round, 5000, 0.1 + slow, 0), phase: "unloaded" as const },
      { ...run("bare", round, 3000, 0.2 + slow, 100), phase: "unloaded" as const },
      { ...run("gateway", round, 2000, 0.45 + slow, 100), phase: "unloaded" as const },
      { ...run("variant", round, 1800, 0.5 + slow, 120), phase: "unloaded" as const },
    ];
  });
  const stats = aggregateScenario([...loaded, ...unloaded], "stream", order);
  // loaded: as without unloaded runs
  expect(stats.targets.gateway.p50.median).toBe(32);
  expect(stats.targets.gateway.addedP50.median).toBe(22);
  expect(stats.gatewayVsBare.rpsRatio.median).toBeCloseTo(0.5);
  // unloaded: per-round pairs
  const u = stats.unloaded!;
  expect(u.addedP50Ms.median).toBeCloseTo(0.35);
  expect(u.addedP50Ms.min).toBeCloseTo(0.35);
  expect(u.ttfbP50VsBareMs.median).toBeCloseTo(0.25);
  expect(u.variant!.ttfbP50DeltaMs.median).toBeCloseTo(0.05);
  expect(u.targets.gateway!.p50.min).toBeCloseTo(0.45);
  expect(aggregateScenario(loaded, "stream", order).unloaded).toBeNull();
});
