import {
  applyGuardrailPolicyPatch,
  checkGuardrailPolicy,
  DEFAULT_GUARDRAIL_POLICY,
  type GuardrailPolicy,
} from "../../core/guardrail-policy.ts";
import { WINDOW_CHARS_RULE, windowCharsOf } from "../../guardrails/http/window-config.ts";
import { applyKeyPolicyPatch, DEFAULT_KEY_POLICY } from "../../core/key-policy-patch.ts";
import type { KeyPolicy } from "../../core/policy.ts";
import type { KeyChanges, KeyState, NewKey } from "../../store/repos/keys.ts";
import { invalidField } from "./common-schemas.ts";
import {
  toGuardrailPatch,
  toPolicyPatch,
  type CreateKeyBody,
  type GuardrailFields,
  type PolicyFields,
  type UpdateKeyBody,
} from "./key-schemas.ts";

// Rules on keys beyond the shape of one field: owner/project/services, expiry, merged policies.

const INHERITED = "project keys inherit their project's services";

function futureExpiry(expiresAt: Date | null | undefined, now: Date): Date | null | undefined {
  if (expiresAt && expiresAt.getTime() <= now.getTime()) {
    throw invalidField("invalid_admin_payload", "expires_at", "must be in the future (null: never expires)");
  }
  return expiresAt;
}

function mergedPolicy(base: KeyPolicy, fields: PolicyFields | null | undefined): KeyPolicy {
  if (fields === null) return applyKeyPolicyPatch(DEFAULT_KEY_POLICY, {});
  return applyKeyPolicyPatch(base, fields ? toPolicyPatch(fields) : {});
}

function mergedGuardrails(
  base: GuardrailPolicy,
  fields: GuardrailFields | null | undefined,
  catalog: ReadonlySet<string>,
): GuardrailPolicy {
  const merged =
    fields === null
      ? applyGuardrailPolicyPatch(DEFAULT_GUARDRAIL_POLICY, {})
      : applyGuardrailPolicyPatch(base, fields ? toGuardrailPatch(fields) : {});
  const issue = checkGuardrailPolicy(merged, catalog);
  if (issue) throw invalidField("invalid_admin_payload", `guardrail_policy.${issue.field}`, issue.message);
  for (const [name, config] of Object.entries(merged.guardrailConfigOverrides)) {
    if (Object.hasOwn(config, "window_chars") && windowCharsOf(config) === null) {
      throw invalidField("invalid_admin_payload", `guardrail_policy.guardrail_config_overrides.${name}.window_chars`, WINDOW_CHARS_RULE);
    }
  }
  return merged;
}

/**
 * POST /admin/keys body ⇒ the key to store (policy defaults filled in); `catalog` holds every
 * guardrail name the policy may refer to.
 */
export function newKeyFrom(body: CreateKeyBody, now: Date, catalog: ReadonlySet<string>): NewKey {
  const projectId = body.project_id ?? null;
  if (body.owner_type === "project") {
    if (projectId === null) throw invalidField("invalid_admin_payload", "project_id", "is required for project keys");
    if (body.service_names !== undefined) throw invalidField("invalid_admin_payload", "service_names", INHERITED);
  } else if (projectId !== null) {
    throw invalidField("invalid_admin_payload", "project_id", "is not allowed for individual keys");
  }
  return {
    ownerType: body.owner_type,
    projectId,
    serviceNames: body.service_names ?? [],
    name: body.name ?? null,
    expiresAt: futureExpiry(body.expires_at, now) ?? null,
    policy: mergedPolicy(DEFAULT_KEY_POLICY, body.policy),
    guardrailPolicy: mergedGuardrails(DEFAULT_GUARDRAIL_POLICY, body.guardrail_policy, catalog),
  };
}

/** Checks that need no stored state: run before the key is locked. */
export function checkKeyPatch(body: UpdateKeyBody, now: Date): void {
  futureExpiry(body.expires_at, now);
}

/** PATCH /admin/keys/{id}: absent = unchanged, null = clear / default, policies merged per field. */
export function planKeyPatch(current: KeyState, body: UpdateKeyBody, catalog: ReadonlySet<string>): KeyChanges {
  if (body.service_names !== undefined && current.ownerType === "project") {
    throw invalidField("invalid_admin_payload", "service_names", INHERITED);
  }
  return {
    name: body.name,
    expiresAt: body.expires_at,
    policy: body.policy === undefined ? undefined : mergedPolicy(current.policy, body.policy),
    guardrailPolicy:
      body.guardrail_policy === undefined
        ? undefined
        : mergedGuardrails(current.guardrailPolicy, body.guardrail_policy, catalog),
    serviceNames: body.service_names === undefined ? undefined : (body.service_names ?? []),
  };
}
