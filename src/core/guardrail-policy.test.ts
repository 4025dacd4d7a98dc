import { describe, expect, test } from "bun:test";
import {
  applyGuardrailPolicyPatch,
  checkGuardrailPolicy,
  DEFAULT_GUARDRAIL_POLICY,
  type GuardrailPolicy,
} from "./guardrail-policy.ts";

const policy = (fields: Partial<GuardrailPolicy>): GuardrailPolicy => ({ ...DEFAULT_GUARDRAIL_POLICY, ...fields });

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
  ];
  for (const [name, input, field] of cases) {
    test(name, () => expect(checkGuardrailPolicy(input)?.field ?? null).toBe(field));
  }
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
