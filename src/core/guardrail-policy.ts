/** Which guardrails a key must run, may request, and must never run (contract 8). */
export interface GuardrailPolicy {
  mandatoryGuardrails: string[];
  optionalGuardrails: string[];
  forbiddenGuardrails: string[];
  /** Per guardrail, config merged over the guardrail's runtime config. */
  guardrailConfigOverrides: Record<string, Record<string, unknown>>;
}

export const DEFAULT_GUARDRAIL_POLICY: Readonly<GuardrailPolicy> = Object.freeze({
  mandatoryGuardrails: [],
  optionalGuardrails: [],
  forbiddenGuardrails: [],
  guardrailConfigOverrides: {},
});

/** Absent = unchanged, null = back to the default (empty). */
export type GuardrailPolicyPatch = { [K in keyof GuardrailPolicy]?: GuardrailPolicy[K] | null };

export function applyGuardrailPolicyPatch(
  base: Readonly<GuardrailPolicy>,
  patch: GuardrailPolicyPatch,
): GuardrailPolicy {
  const pick = <K extends keyof GuardrailPolicy>(field: K): GuardrailPolicy[K] => {
    const value = patch[field];
    if (value === undefined) return base[field];
    return value === null ? DEFAULT_GUARDRAIL_POLICY[field] : value;
  };
  return {
    mandatoryGuardrails: [...pick("mandatoryGuardrails")],
    optionalGuardrails: [...pick("optionalGuardrails")],
    forbiddenGuardrails: [...pick("forbiddenGuardrails")],
    guardrailConfigOverrides: { ...pick("guardrailConfigOverrides") },
  };
}

export const GUARDRAIL_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;
const NAME_RULE = "a guardrail name (lowercase letters, digits, dashes)";

/** A rejected guardrail policy: the API field at fault and why (never echoing values). */
export interface GuardrailPolicyIssue {
  field: string;
  message: string;
}

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The one place a key's guardrail policy is judged; runs on the merged policy (after a PATCH).
 * Shape only for now: names, overlaps, override shapes. Catalog checks (does the guardrail
 * exist, does an override fit its config schema) belong here too when the catalog arrives.
 */
export function checkGuardrailPolicy(policy: GuardrailPolicy): GuardrailPolicyIssue | null {
  const lists = [
    ["mandatory_guardrails", policy.mandatoryGuardrails],
    ["optional_guardrails", policy.optionalGuardrails],
    ["forbidden_guardrails", policy.forbiddenGuardrails],
  ] as const;
  for (const [field, names] of lists) {
    const bad = names.findIndex((name) => !GUARDRAIL_NAME_PATTERN.test(name));
    if (bad >= 0) return { field: `${field}.${bad}`, message: `must be ${NAME_RULE}` };
  }
  const forbidden = new Set(policy.forbiddenGuardrails);
  for (const [field, names] of lists.slice(0, 2)) {
    if (names.some((name) => forbidden.has(name))) {
      return { field, message: "names a guardrail that forbidden_guardrails also lists" };
    }
  }
  const optional = new Set(policy.optionalGuardrails);
  if (policy.mandatoryGuardrails.some((name) => optional.has(name))) {
    return { field: "optional_guardrails", message: "names a guardrail that mandatory_guardrails also lists" };
  }
  for (const [name, config] of Object.entries(policy.guardrailConfigOverrides)) {
    if (!GUARDRAIL_NAME_PATTERN.test(name)) {
      return { field: "guardrail_config_overrides", message: `keys must each be ${NAME_RULE}` };
    }
    if (!isJsonObject(config)) return { field: `guardrail_config_overrides.${name}`, message: "must be a JSON object" };
  }
  return null;
}
