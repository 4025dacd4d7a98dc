import { expect, test } from "bun:test";
import { aggregateScenario } from "./aggregate.ts";
import { fakeRun } from "./fake-runs.ts";
import { scenarios } from "./scenarios.ts";
import type { TargetId } from "./stack.ts";
import { scenarioReport } from "./table.ts";

const run = (target: TargetId, rps: number, p50: number, phase?: "unloaded") => fakeRun(target, { rps, p50, phase });

const stream = scenarios(5, 0).find((s) => s.id === "stream")!;
// Loaded: the gateway queues 4 ms behind the others; unloaded it adds 0.3 ms.
const loaded = [run("direct", 9000, 3), run("bare", 6000, 5), run("gateway", 3000, 7), run("variant", 2500, 9)];
const unloaded = [run("direct", 5000, 0.2, "unloaded"), run("bare", 3000, 0.35, "unloaded"), run("gateway", 2000, 0.5, "unloaded"), run("variant", 1800, 0.6, "unloaded")];
const order: TargetId[] = ["direct", "bare", "gateway", "variant"];
const line = (lines: string[], start: string) => lines.filter((l) => l.trimStart().startsWith(start));

test("with unloaded runs the latency goals are judged on them; the loaded latency lines carry no verdict", () => {
  const lines = scenarioReport(stream, aggregateScenario([...loaded, ...unloaded], "stream", order), "pii-redact mandatory", { limits: false, guardrails: true });
  const added = line(lines, "p50 gateway − direct");
  expect(added).toHaveLength(2);
  expect(added[0]).toContain("+4.000 ms");
  expect(added[0]).toContain("(loaded: mostly queueing)");
  expect(added[0]).not.toContain("MISSES");
  expect(added[1]).toContain("+0.300 ms");
  expect(added[1]).toContain("goal < 1 ms: MEETS");
  expect(line(lines, "TTFB p50 gateway − bare")[1]).toContain("+0.150 ms  (+0.150–+0.150)  goal ≤ 1 ms: MEETS");
  expect(line(lines, "TTFB p50 variant − gateway")[1]).toContain("goal ≤ 2 ms: MEETS");
  expect(line(lines, "rps ratio gateway/bare")[0]).toContain("goal ≥ 0.7: MISSES");
});

test("without unloaded runs (--latency-duration 0) the latency goals are judged under load", () => {
  const lines = scenarioReport(stream, aggregateScenario(loaded, "stream", order), "pii-redact mandatory", { limits: false, guardrails: true });
  expect(line(lines, "p50 gateway − direct")).toEqual([expect.stringContaining("goal < 1 ms: MISSES")]);
  expect(line(lines, "TTFB p50 gateway − bare")).toEqual([expect.stringContaining("goal ≤ 1 ms: MISSES")]);
  expect(lines.some((l) => l.includes("unloaded"))).toBe(false);
});
