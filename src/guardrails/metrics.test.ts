import { describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { createGuardrailMetrics, OVERFLOW_LABEL } from "./metrics.ts";
import type { GuardrailRun } from "./run.ts";

const run = (over: Partial<GuardrailRun> = {}): GuardrailRun => ({
  name: "pii-redact",
  mode: "pre_call",
  action: "modify",
  failurePolicy: "fail_closed",
  failed: false,
  latencyMs: 2,
  reason: null,
  counts: { email: 1 },
  ...over,
});

async function values(registry: Registry, name: string) {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []) as { labels: Record<string, string>; value: number; metricName?: string }[];
}

describe("guardrail metrics", () => {
  test("executions by guardrail/mode/action, failures by guardrail/mode, latency histogram in seconds", async () => {
    const registry = new Registry();
    const metrics = createGuardrailMetrics(registry);
    metrics.observe(run());
    metrics.observe(run());
    metrics.observe(run({ name: "moderator", mode: "post_call", action: "warn", failed: true, failurePolicy: "fail_open", latencyMs: 1500 }));
    metrics.observe(run({ name: "moderator", mode: "pre_call", action: "block", latencyMs: 40 }));

    expect(await values(registry, "relayna_guardrail_executions_total")).toEqual([
      { labels: { guardrail: "pii-redact", mode: "pre_call", action: "modify" }, value: 2 },
      { labels: { guardrail: "moderator", mode: "post_call", action: "warn" }, value: 1 },
      { labels: { guardrail: "moderator", mode: "pre_call", action: "block" }, value: 1 },
    ]);
    expect(await values(registry, "relayna_guardrail_failures_total")).toEqual([{ labels: { guardrail: "moderator", mode: "post_call" }, value: 1 }]);

    const latency = await values(registry, "relayna_guardrail_latency_seconds");
    const sum = (guardrail: string, mode: string) =>
      latency.find((v) => v.metricName === "relayna_guardrail_latency_seconds_sum" && v.labels.guardrail === guardrail && v.labels.mode === mode)?.value;
    const count = (guardrail: string, mode: string) =>
      latency.find((v) => v.metricName === "relayna_guardrail_latency_seconds_count" && v.labels.guardrail === guardrail && v.labels.mode === mode)?.value;
    expect(sum("pii-redact", "pre_call")).toBeCloseTo(0.004, 6);
    expect(count("pii-redact", "pre_call")).toBe(2);
    expect(sum("moderator", "post_call")).toBeCloseTo(1.5, 6);
    const le = (bound: number) =>
      latency.find((v) => v.metricName?.endsWith("_bucket") && v.labels.guardrail === "moderator" && v.labels.mode === "post_call" && Number(v.labels.le) === bound)?.value;
    expect([le(1), le(2.5)]).toEqual([0, 1]);
  });

  test("distinct guardrail names are capped; later names share one overflow series, known names keep theirs", async () => {
    const registry = new Registry();
    const metrics = createGuardrailMetrics(registry, { maxGuardrails: 3 });
    for (const name of ["a", "b", "c", "d", "e", "a"]) metrics.observe(run({ name }));
    const series = await values(registry, "relayna_guardrail_executions_total");
    expect(series.map((s) => [s.labels.guardrail, s.value])).toEqual([
      ["a", 2],
      ["b", 1],
      ["c", 1],
      [OVERFLOW_LABEL, 2],
    ]);
  });

  test("the default cap is 200 names", async () => {
    const registry = new Registry();
    const metrics = createGuardrailMetrics(registry);
    for (let i = 0; i < 250; i++) metrics.observe(run({ name: `g-${i}` }));
    const series = await values(registry, "relayna_guardrail_executions_total");
    expect(series).toHaveLength(201);
    expect(series.find((s) => s.labels.guardrail === OVERFLOW_LABEL)?.value).toBe(50);
  });
});
