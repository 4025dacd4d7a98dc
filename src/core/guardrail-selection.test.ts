import { describe, expect, test } from "bun:test";
import { DEFAULT_GUARDRAIL_POLICY, type GuardrailPolicy } from "./guardrail-policy.ts";
import { discoverableGuardrails, selectGuardrails, type SelectableGuardrail } from "./guardrail-selection.ts";

const g = (name: string, over: Partial<SelectableGuardrail> = {}): SelectableGuardrail => ({
  name,
  modes: ["pre_call"],
  enabled: true,
  defaultOn: false,
  runtimeConfig: { a: 1, b: 1 },
  ...over,
});
const catalog = new Map(
  [g("pii-redact"), g("tox", { defaultOn: true }), g("off", { enabled: false }), g("opt"), g("banned", { defaultOn: true })].map((x) => [x.name, x]),
);
const policy: GuardrailPolicy = {
  ...DEFAULT_GUARDRAIL_POLICY,
  mandatoryGuardrails: ["pii-redact", "off", "gone"],
  optionalGuardrails: ["opt"],
  forbiddenGuardrails: ["banned"],
  guardrailConfigOverrides: { "pii-redact": { b: 2 } },
};
const names = (s: ReturnType<typeof selectGuardrails>) => (s.ok ? s.applied.map((a) => a.guardrail.name) : s.code);

describe("selectGuardrails", () => {
  test("default-on, then mandatory, then requested; forbidden, disabled and unknown skipped; once each", () => {
    expect(names(selectGuardrails(catalog, policy, undefined))).toEqual(["tox", "pii-redact"]);
    expect(names(selectGuardrails(catalog, policy, ["opt", "pii-redact", "opt"]))).toEqual(["tox", "pii-redact", "opt"]);
  });
  test("effective config = runtime config shallow-merged with the key's override", () => {
    const s = selectGuardrails(catalog, policy, undefined);
    expect(s.ok && s.applied.find((a) => a.guardrail.name === "pii-redact")!.config).toEqual({ a: 1, b: 2 });
  });
  test("requesting a forbidden or non-optional guardrail is guardrail_forbidden; a malformed field or unknown name invalid", () => {
    expect(names(selectGuardrails(catalog, policy, ["banned"]))).toBe("guardrail_forbidden");
    expect(names(selectGuardrails(catalog, { ...policy, optionalGuardrails: [] }, ["opt"]))).toBe("guardrail_forbidden");
    expect(names(selectGuardrails(catalog, policy, "opt"))).toBe("invalid_guardrail_request");
    expect(names(selectGuardrails(catalog, policy, [1]))).toBe("invalid_guardrail_request");
    expect(names(selectGuardrails(catalog, policy, ["nope"]))).toBe("invalid_guardrail_request");
    expect(names(selectGuardrails(catalog, policy, ["off"]))).toBe("invalid_guardrail_request");
  });
  test("discovery lists enabled default-on, mandatory and optional ones minus forbidden", () => {
    expect(discoverableGuardrails(catalog, policy).map((x) => x.name)).toEqual(["opt", "pii-redact", "tox"]);
  });
});
