import { describe, expect, test } from "bun:test";
import {
  applyGuardrailPolicyPatch,
  checkGuardrailPolicy,
  DEFAULT_GUARDRAIL_POLICY,
  type GuardrailPolicy,
} from "./guardrail-policy.ts";

const policy = (fields: Partial<GuardrailPolicy>): GuardrailPolicy => ({ ...DEFAULT_GUARDRAIL_POLICY, ...fields });
const CATALOG: ReadonlySet<string> = new Set(["pii-redact", "tox", "x1", "a", "b", "ok"]);

describe("checkGuardrailPolicy", () => {
  const cases: [string, GuardrailPolicy, string | null][] = [
    ["the default", policy({}), null],
    [
      "disjoint lists and object overrides",
      policy({
        mandatoryGuardrails: ["pii-redact"],
        optionalGuardrails: ["tox"],
        forbiddenGuardrails: ["x1"],
        guardrailConfigOverrides: { "pii-redact": { a: 1 } },
      }),
      null,
    ],
    ["a malformed name", policy({ optionalGuardrails: ["ok", "Not-OK"] }), "optional_guardrails.1"],
    ["a trailing dash", policy({ forbiddenGuardrails: ["bad-"] }), "forbidden_guardrails.0"],
    ["mandatory and forbidden", policy({ mandatoryGuardrails: ["a"], forbiddenGuardrails: ["a"] }), "mandatory_guardrails"],
    ["optional and forbidden", policy({ optionalGuardrails: ["a"], forbiddenGuardrails: ["a"] }), "optional_guardrails"],
    ["mandatory and optional", policy({ mandatoryGuardrails: ["a"], optionalGuardrails: ["a"] }), "optional_guardrails"],
    ["an override key that is no name", policy({ guardrailConfigOverrides: { "A B": {} } }), "guardrail_config_overrides"],
    ["an override that is no object", policy({ guardrailConfigOverrides: { a: [1] as never } }), "guardrail_config_overrides.a"],
    ["an unknown mandatory name", policy({ mandatoryGuardrails: ["a", "ghost"] }), "mandatory_guardrails.1"],
    ["an unknown optional name", policy({ optionalGuardrails: ["ghost"] }), "optional_guardrails.0"],
    ["an unknown forbidden name", policy({ forbiddenGuardrails: ["b", "ghost"] }), "forbidden_guardrails.1"],
    ["an override of an unknown name", policy({ guardrailConfigOverrides: { ghost: {} } }), "guardrail_config_overrides.ghost"],
    [
      "an override of a forbidden guardrail",
      policy({ forbiddenGuardrails: ["tox"], guardrailConfigOverrides: { tox: { level: 2 } } }),
      "guardrail_config_overrides.tox",
    ],
    [
      "overrides of optional and not-listed (default-on) guardrails",
      policy({ optionalGuardrails: ["tox"], guardrailConfigOverrides: { tox: {}, "pii-redact": { restore_output: false } } }),
      null,
    ],
    // Shape before catalog: an overlap of two unknown names is reported as the overlap.
    ["shape first", policy({ mandatoryGuardrails: ["ghost"], forbiddenGuardrails: ["ghost"] }), "mandatory_guardrails"],
  ];
  for (const [name, input, field] of cases) {
    test(name, () => expect(checkGuardrailPolicy(input, CATALOG)?.field ?? null).toBe(field));
  }

  test("catalog messages name the unknown guardrail and the forbidden override", () => {
    expect(checkGuardrailPolicy(policy({ optionalGuardrails: ["ghost"] }), CATALOG)?.message).toBe(
      'guardrail "ghost" is not in the catalog',
    );
    const forbidden = policy({ forbiddenGuardrails: ["tox"], guardrailConfigOverrides: { tox: {} } });
    const message = "overrides a guardrail that forbidden_guardrails lists";
    expect(checkGuardrailPolicy(forbidden, CATALOG)?.message).toBe(message);
    expect(checkGuardrailPolicy(policy({ mandatoryGuardrails: ["pii-redact"] }), new Set())?.field).toBe(
      "mandatory_guardrails.0",
    );
  });
});

describe("applyGuardrailPolicyPatch", () => {
  const base = policy({
    mandatoryGuardrails: ["a"],
    forbiddenGuardrails: ["b"],
    guardrailConfigOverrides: { a: { x: 1 } },
  });
  test("absent = unchanged, null = empty, values replace", () => {
    expect(applyGuardrailPolicyPatch(base, {})).toEqual(base);
    expect(applyGuardrailPolicyPatch(base, { forbiddenGuardrails: null, optionalGuardrails: ["c"] })).toEqual({
      ...base,
      forbiddenGuardrails: [],
      optionalGuardrails: ["c"],
    });
    expect(applyGuardrailPolicyPatch(base, { guardrailConfigOverrides: null }).guardrailConfigOverrides).toEqual({});
  });
});
