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
  // Policy lists are short (a handful of names): includes() beats building Sets per request.
  const forbidden = policy.forbiddenGuardrails;
  for (const name of (requested ?? []) as string[]) {
    const known = catalog.get(name);
    if (!known || !known.enabled) {
      return { ok: false, code: "invalid_guardrail_request", message: "The request names a guardrail that is not available." };
    }
    const allowed = policy.optionalGuardrails.includes(name) || policy.mandatoryGuardrails.includes(name) || known.defaultOn;
    if (forbidden.includes(name) || !allowed) {
      return { ok: false, code: "guardrail_forbidden", message: "The request names a guardrail this key may not request." };
    }
  }
  const applied: AppliedGuardrail<G>[] = [];
  const add = (names: readonly string[]) => {
    for (const name of names) {
      const guardrail = catalog.get(name);
      if (!guardrail?.enabled || forbidden.includes(name) || applied.some((a) => a.guardrail === guardrail)) continue;
      applied.push({ guardrail, config: { ...guardrail.runtimeConfig, ...policy.guardrailConfigOverrides[name] } });
    }
  };
  add(defaultOn);
  add(policy.mandatoryGuardrails);
  if (requested !== undefined) add(requested as string[]);
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
