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

const namedLists = (policy: GuardrailPolicy) =>
  [
    ["mandatory_guardrails", policy.mandatoryGuardrails],
    ["optional_guardrails", policy.optionalGuardrails],
    ["forbidden_guardrails", policy.forbiddenGuardrails],
  ] as const;

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The one place a key's guardrail policy is judged; runs on the merged policy (after a PATCH).
 * Shape first (names, overlaps, override shapes), then against `catalog`, every guardrail name
 * the catalog holds: listed names must exist, overrides must name known, non-forbidden ones.
 * (`config_schema` documents overrides; it is not enforced.)
 */
export function checkGuardrailPolicy(
  policy: GuardrailPolicy,
  catalog: ReadonlySet<string>,
): GuardrailPolicyIssue | null {
  const lists = namedLists(policy);
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
  return checkAgainstCatalog(policy, catalog);
}

// Names passed NAME_RULE above, so echoing one cannot leak anything but a guardrail name.
const unknown = (name: string) => `guardrail "${name}" is not in the catalog`;

function checkAgainstCatalog(policy: GuardrailPolicy, catalog: ReadonlySet<string>): GuardrailPolicyIssue | null {
  const lists = namedLists(policy);
  for (const [field, names] of lists) {
    const bad = names.findIndex((name) => !catalog.has(name));
    if (bad >= 0) return { field: `${field}.${bad}`, message: unknown(names[bad]!) };
  }
  const forbidden = new Set(policy.forbiddenGuardrails);
  for (const name of Object.keys(policy.guardrailConfigOverrides)) {
    const field = `guardrail_config_overrides.${name}`;
    if (!catalog.has(name)) return { field, message: unknown(name) };
    if (forbidden.has(name)) return { field, message: "overrides a guardrail that forbidden_guardrails lists" };
  }
  return null;
}
