import * as v from "valibot";
import type { GuardrailPolicyPatch } from "../../core/guardrail-policy.ts";
import type { KeyPolicyPatch } from "../../core/key-policy-patch.ts";
import { PROVIDERS, ROUTE_IDS } from "../../core/policy.ts";
import { KEY_STATUSES } from "../../store/repos/keys.ts";
import { exactObject, jsonRecord, serviceNamesField, strictFields, timestampField, uuidField } from "./common-schemas.ts";
import { pageQueryEntries } from "./pagination.ts";

const unique = <T>(list: T[]): T[] => [...new Set(list)];
/** Absent = unchanged (or the default on create), null = back to the default. */
const patchable = <S extends v.GenericSchema>(schema: S) => v.optional(v.nullable(schema));

/** Decimal places of a JSON number as written (1e-7 has 7, 1.5e-8 has 9). */
function decimalPlaces(value: number): number {
  const [mantissa = "", exponent = "0"] = String(value).split("e");
  return Math.max(0, (mantissa.split(".")[1] ?? "").length - Number(exponent));
}

const positiveInt = v.pipe(
  v.number(),
  v.integer("must be a positive integer"),
  v.minValue(1, "must be a positive integer"),
  v.maxValue(2_147_483_647, "must be at most 2147483647"),
);

// numeric(18, 8) in the database.
const usd = v.pipe(
  v.number(),
  v.minValue(0, "must be a number >= 0"),
  v.check((value) => value < 1e10, "must be below 10000000000"),
  v.check((value) => decimalPlaces(value) <= 8, "must have at most 8 decimal places"),
);

const policyFields = strictFields({
  allowed_routes: patchable(v.pipe(v.array(v.picklist(ROUTE_IDS)), v.transform(unique))),
  allowed_models: patchable(
    v.pipe(
      v.array(v.pipe(v.string(), v.minLength(1, "must not be empty"), v.maxLength(200, "must be at most 200 characters"))),
      v.maxLength(500, "must list at most 500 models"),
      v.transform(unique),
    ),
  ),
  allowed_providers: patchable(v.pipe(v.array(v.picklist(PROVIDERS)), v.transform(unique))),
  allowed_services: patchable(serviceNamesField),
  rpm_limit: patchable(positiveInt),
  tpm_limit: patchable(positiveInt),
  daily_budget_usd: patchable(usd),
  monthly_budget_usd: patchable(usd),
  allow_streaming: patchable(v.boolean()),
  allow_tools: patchable(v.boolean()),
});

// Shape only; the names and their combinations are judged by checkGuardrailPolicy.
const guardrailNames = v.pipe(
  v.array(v.string()),
  v.maxLength(100, "must list at most 100 guardrails"),
  v.transform(unique),
);
const guardrailFields = strictFields({
  mandatory_guardrails: patchable(guardrailNames),
  optional_guardrails: patchable(guardrailNames),
  forbidden_guardrails: patchable(guardrailNames),
  guardrail_config_overrides: patchable(jsonRecord(jsonRecord(v.unknown()))),
});

export type PolicyFields = v.InferOutput<typeof policyFields>;
export type GuardrailFields = v.InferOutput<typeof guardrailFields>;

const keyName = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, "must not be blank (null removes the name)"),
  v.maxLength(200, "must be at most 200 characters"),
);

export const createKeyBody = exactObject({
  owner_type: v.picklist(["project", "individual"]),
  project_id: patchable(uuidField),
  service_names: v.optional(serviceNamesField),
  name: patchable(keyName),
  expires_at: patchable(timestampField),
  policy: patchable(policyFields),
  guardrail_policy: patchable(guardrailFields),
});

export const updateKeyBody = exactObject({
  name: patchable(keyName),
  expires_at: patchable(timestampField),
  policy: patchable(policyFields),
  guardrail_policy: patchable(guardrailFields),
  service_names: patchable(serviceNamesField),
});

export type CreateKeyBody = v.InferOutput<typeof createKeyBody>;
export type UpdateKeyBody = v.InferOutput<typeof updateKeyBody>;

export const listKeysQuery = exactObject({
  ...pageQueryEntries,
  project_id: v.optional(uuidField),
  owner_type: v.optional(v.picklist(["project", "individual"])),
  status: v.optional(v.picklist(KEY_STATUSES)),
});

export function toPolicyPatch(p: PolicyFields): KeyPolicyPatch {
  return {
    allowedRoutes: p.allowed_routes,
    allowedModels: p.allowed_models,
    allowedProviders: p.allowed_providers,
    allowedServices: p.allowed_services,
    rpmLimit: p.rpm_limit,
    tpmLimit: p.tpm_limit,
    dailyBudgetUsd: p.daily_budget_usd,
    monthlyBudgetUsd: p.monthly_budget_usd,
    allowStreaming: p.allow_streaming,
    allowTools: p.allow_tools,
  };
}

export function toGuardrailPatch(g: GuardrailFields): GuardrailPolicyPatch {
  return {
    mandatoryGuardrails: g.mandatory_guardrails,
    optionalGuardrails: g.optional_guardrails,
    forbiddenGuardrails: g.forbidden_guardrails,
    guardrailConfigOverrides: g.guardrail_config_overrides as Record<string, Record<string, unknown>> | null | undefined,
  };
}
