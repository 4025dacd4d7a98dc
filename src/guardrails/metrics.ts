import type { Registry } from "prom-client";
import { fastCounter, fastHistogram } from "../http/fast-metrics.ts";
import type { GuardrailRun } from "./run.ts";

/** Guardrail names get their own series up to this many; later ones share OVERFLOW_LABEL. */
export const MAX_GUARDRAIL_LABELS = 200;
/** Not a valid catalog name (no underscores there), so it never collides with a real guardrail. */
export const OVERFLOW_LABEL = "_other";

export interface GuardrailMetrics {
  /** One guardrail run (as RunState.runs holds it): executions, failures, latency. */
  observe(run: GuardrailRun): void;
}

/**
 * Guardrail metrics (contract 9). Labels are bounded: the guardrail name is a catalog name
 * (operator-created) and capped at `maxGuardrails` distinct values per process, mode and action
 * are closed vocabularies.
 */
export function createGuardrailMetrics(registry: Registry, options: { maxGuardrails?: number } = {}): GuardrailMetrics {
  const maxGuardrails = options.maxGuardrails ?? MAX_GUARDRAIL_LABELS;
  const executions = fastCounter({
    name: "relayna_guardrail_executions_total",
    help: "Guardrail runs by guardrail, mode and action (failures under fail_open/fail_closed count as warn).",
    labelNames: ["guardrail", "mode", "action"],
    registry,
  });
  const failures = fastCounter({
    name: "relayna_guardrail_failures_total",
    help: "Guardrail runs that failed (error, timeout, invalid reply), by guardrail and mode.",
    labelNames: ["guardrail", "mode"],
    registry,
  });
  const latency = fastHistogram({
    name: "relayna_guardrail_latency_seconds",
    help: "Duration of one guardrail run.",
    labelNames: ["guardrail", "mode"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registry,
  });
  const seen = new Set<string>();
  const label = (name: string) => {
    if (seen.has(name)) return name;
    if (seen.size >= maxGuardrails) return OVERFLOW_LABEL;
    seen.add(name);
    return name;
  };
  return {
    observe(run) {
      const guardrail = label(run.name);
      executions(guardrail, run.mode, run.action).inc();
      if (run.failed) failures(guardrail, run.mode).inc();
      latency(guardrail, run.mode).observe(Number.isFinite(run.latencyMs) ? Math.max(0, run.latencyMs) / 1000 : 0);
    },
  };
}
