import { expect, test } from "bun:test";
import { aggregateScenario } from "./aggregate.ts";
import { fakeRun } from "./fake-runs.ts";
import type { TargetId } from "./stack.ts";

const run = (target: TargetId, round: number, rps: number, p50: number, proxyCpuMs: number) => fakeRun(target, { round, rps, p50, proxyCpuMs });
const unloadedRun = (target: TargetId, round: number, rps: number, p50: number, proxyCpuMs: number) =>
  fakeRun(target, { round, rps, p50, proxyCpuMs, phase: "unloaded" });

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
      unloadedRun("direct", round, 5000, 0.1 + slow, 0),
      unloadedRun("bare", round, 3000, 0.2 + slow, 100),
      unloadedRun("gateway", round, 2000, 0.45 + slow, 100),
      unloadedRun("variant", round, 1800, 0.5 + slow, 120),
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
