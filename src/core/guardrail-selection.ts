import type { GuardrailPolicy } from "./guardrail-policy.ts";

/** What selection needs of a catalog entry (a subset of guardrails/catalog.ts GuardrailDefinition). */
export interface SelectableGuardrail {
  name: string;
  modes: readonly string[];
  enabled: boolean;
  defaultOn: boolean;
  runtimeConfig: Record<string, unknown>;
}

export interface AppliedGuardrail<G extends SelectableGuardrail> {
  guardrail: G;
  /** runtime_config shallow-merged with the key's override (contract 8). */
  config: Record<string, unknown>;
}

export type Selection<G extends SelectableGuardrail> =
  | { ok: true; applied: AppliedGuardrail<G>[] }
  | { ok: false; code: "invalid_guardrail_request" | "guardrail_forbidden"; message: string };

const MAX_REQUESTED = 32;

/**
 * The guardrails a request runs, in order: default-on, mandatory, then the ones the client asked
 * for in its top-level `guardrails` field (which must be optional for the key). Forbidden ones
 * never run; disabled ones and names the catalog no longer has are skipped (a key can outlive a
 * deleted guardrail for a moment). Each appears once.
 */
export function selectGuardrails<G extends SelectableGuardrail>(
  catalog: ReadonlyMap<string, G>,
  policy: GuardrailPolicy,
  requested: unknown,
  defaultOn: readonly string[] = defaultOnNames(catalog),
): Selection<G> {
  // The common case on the hot path: nothing to run, nothing to check.
  if (requested === undefined && defaultOn.length === 0 && policy.mandatoryGuardrails.length === 0) return { ok: true, applied: [] };
  if (requested !== undefined && (!Array.isArray(requested) || requested.length > MAX_REQUESTED || !requested.every((n) => typeof n === "string"))) {
    return { ok: false, code: "invalid_guardrail_request", message: `The guardrails field must be a list of at most ${MAX_REQUESTED} guardrail names.` };
  }
  const forbidden = new Set(policy.forbiddenGuardrails);
  const allowedOnRequest = new Set([...policy.optionalGuardrails, ...policy.mandatoryGuardrails]);
  for (const name of (requested ?? []) as string[]) {
    const known = catalog.get(name);
    if (!known || !known.enabled) {
      return { ok: false, code: "invalid_guardrail_request", message: "The request names a guardrail that is not available." };
    }
    if (forbidden.has(name) || !(allowedOnRequest.has(name) || known.defaultOn)) {
      return { ok: false, code: "guardrail_forbidden", message: "The request names a guardrail this key may not request." };
    }
  }
  const order = [...defaultOn, ...policy.mandatoryGuardrails, ...((requested ?? []) as string[])];
  const applied: AppliedGuardrail<G>[] = [];
  const seen = new Set<string>();
  for (const name of order) {
    const guardrail = catalog.get(name);
    if (seen.has(name) || forbidden.has(name) || !guardrail?.enabled) continue;
    seen.add(name);
    applied.push({ guardrail, config: { ...guardrail.runtimeConfig, ...policy.guardrailConfigOverrides[name] } });
  }
  return { ok: true, applied };
}

/** Names of the default-on guardrails, sorted (computed once per catalog snapshot). */
export function defaultOnNames(catalog: ReadonlyMap<string, SelectableGuardrail>): string[] {
  return [...catalog.values()].filter((g) => g.defaultOn).map((g) => g.name).sort();
}

/** Discovery (GET /v1/guardrails): enabled default-on, mandatory and optional, minus forbidden. */
export function discoverableGuardrails<G extends SelectableGuardrail>(catalog: ReadonlyMap<string, G>, policy: GuardrailPolicy): G[] {
  const forbidden = new Set(policy.forbiddenGuardrails);
  const listed = new Set([...policy.mandatoryGuardrails, ...policy.optionalGuardrails]);
  return [...catalog.values()]
    .filter((g) => g.enabled && !forbidden.has(g.name) && (g.defaultOn || listed.has(g.name)))
    .sort((a, b) => a.name.localeCompare(b.name));
}
