import type { AppliedGuardrail } from "../core/guardrail-selection.ts";
import type { GuardrailAction, GuardrailDefinition, GuardrailMode } from "./catalog.ts";
import { callHttpGuardrail, type GuardrailCallContext } from "./http/client.ts";
import { PiiVault, redactJson, restoreJson } from "./pii-redact/index.ts";

export type Applied = AppliedGuardrail<GuardrailDefinition>;

/** One guardrail run, as an execution event records it: never content, values or mappings. */
export interface GuardrailRun {
  name: string;
  mode: GuardrailMode;
  action: GuardrailAction;
  failurePolicy: GuardrailDefinition["failurePolicy"];
  failed: boolean;
  latencyMs: number;
  reason: string | null;
  counts: Record<string, number>;
}

export interface RunState {
  requestId: string;
  context: GuardrailCallContext;
  /** pii-redact's request-local mapping; created by the first pre-call run. */
  vault: PiiVault | null;
  runs: GuardrailRun[];
}

export class GuardrailBlocked extends Error {
  constructor(readonly guardrail: string) {
    super("blocked");
  }
}
export class GuardrailUnavailable extends Error {
  constructor(readonly guardrail: string) {
    super("unavailable");
  }
}

export const restoreOutput = (config: Record<string, unknown>) => config.restore_output !== false;

/**
 * Runs every applied guardrail that has `mode`, in order, each on the previous one's output
 * (contract 8). Actions: allow, modify, block (throws GuardrailBlocked), warn. On error or
 * timeout: fail_closed throws GuardrailUnavailable, fail_open continues as warn, dry_run never
 * blocks or modifies and records what it would have done.
 */
export async function runGuardrails<T>(
  applied: Applied[],
  mode: "pre_call" | "post_call",
  payload: T,
  state: RunState,
): Promise<T> {
  let value = payload;
  for (const { guardrail, config } of applied) {
    if (!guardrail.modes.includes(mode)) continue;
    const started = performance.now();
    const dryRun = guardrail.failurePolicy === "dry_run";
    const run = (action: GuardrailAction, extra: Partial<GuardrailRun> = {}) =>
      state.runs.push({
        name: guardrail.name,
        mode,
        action,
        failurePolicy: guardrail.failurePolicy,
        failed: false,
        latencyMs: Math.round(performance.now() - started),
        reason: null,
        counts: {},
        ...extra,
      });
    if (guardrail.providerKind === "built_in") {
      state.vault ??= new PiiVault();
      const before = state.vault.counts();
      const next =
        mode === "pre_call"
          ? redactJson(value, state.vault)
          : restoreJson(value, state.vault, { restore: restoreOutput(config) });
      const counts = state.vault.countsSince(before) as unknown as Record<string, number>;
      const changed = Object.values(counts).some((n) => n > 0);
      run(changed ? "modify" : "allow", { counts });
      if (!dryRun) value = next;
      continue;
    }
    const outcome = await callHttpGuardrail(
      { name: guardrail.name, endpointUrl: guardrail.endpointUrl!, timeoutMs: guardrail.timeoutMs, bearerToken: guardrail.bearerToken },
      mode === "pre_call"
        ? { requestId: state.requestId, mode, context: state.context, config, request: value }
        : { requestId: state.requestId, mode, context: state.context, config, response: value },
    );
    if (!outcome.ok) {
      run("warn", { failed: true, reason: outcome.failure });
      if (guardrail.failurePolicy === "fail_closed") throw new GuardrailUnavailable(guardrail.name);
      continue;
    }
    const { verdict } = outcome;
    run(verdict.action, { reason: verdict.reason ?? null });
    if (dryRun) continue;
    if (verdict.action === "block") throw new GuardrailBlocked(guardrail.name);
    if (verdict.action === "modify") value = (mode === "pre_call" ? verdict.request : verdict.response) as T;
  }
  return value;
}
