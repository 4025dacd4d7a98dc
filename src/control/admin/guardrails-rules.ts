import { DEFAULT_GUARDRAIL_TIMEOUT_MS, type GuardrailProviderKind } from "../../guardrails/catalog.ts";
import type { GuardrailChanges, NewHttpGuardrail } from "../../store/repos/guardrails.ts";
import { invalidField } from "./common-schemas.ts";
import type { CreateGuardrailBody, UpdateGuardrailBody } from "./guardrails-schemas.ts";

// Rules on catalog writes beyond the shape of one field: identity and the built-in protections.

const CODE = "invalid_admin_payload";

/** POST /admin/guardrails body ⇒ the HTTP guardrail to store (defaults filled in). */
export function newGuardrailFrom(body: CreateGuardrailBody): NewHttpGuardrail {
  return {
    name: body.name,
    description: body.description ?? "",
    modes: body.modes,
    failurePolicy: body.failure_policy ?? "fail_closed",
    enabled: body.enabled ?? true,
    defaultOn: body.default_on ?? false,
    configSchema: body.config_schema ?? {},
    runtimeConfig: body.runtime_config ?? {},
    endpointUrl: body.endpoint_url,
    timeoutMs: body.timeout_ms ?? DEFAULT_GUARDRAIL_TIMEOUT_MS,
    bearerToken: body.bearer_token ?? null,
  };
}

const BUILT_IN_ONLY = ["endpoint_url", "bearer_token", "timeout_ms"] as const;

/**
 * PATCH /admin/guardrails/{name}: absent = unchanged, null = back to the default. The name and
 * kind never change; a built-in guardrail runs in-process, so it has no endpoint, token or timeout.
 */
export function guardrailChangesFrom(kind: GuardrailProviderKind, body: UpdateGuardrailBody): GuardrailChanges {
  if (body.name !== undefined) {
    throw invalidField(CODE, "name", "cannot be changed: key policies and execution history refer to it");
  }
  if (body.provider_kind !== undefined) {
    const why = kind === "built_in" ? "is not available for a built-in guardrail" : "cannot be changed";
    throw invalidField(CODE, "provider_kind", why);
  }
  if (kind === "built_in") {
    const field = BUILT_IN_ONLY.find((name) => body[name] !== undefined);
    if (field) throw invalidField(CODE, field, "is not available for a built-in guardrail");
  }
  if (body.endpoint_url === null) throw invalidField(CODE, "endpoint_url", "is required for an HTTP guardrail");
  const orDefault = <T>(value: T | null | undefined, fallback: T): T | undefined =>
    value === undefined ? undefined : (value ?? fallback);
  return {
    description: orDefault(body.description, ""),
    modes: body.modes,
    failurePolicy: orDefault(body.failure_policy, "fail_closed"),
    enabled: body.enabled,
    defaultOn: body.default_on,
    configSchema: orDefault(body.config_schema, {}),
    runtimeConfig: orDefault(body.runtime_config, {}),
    endpointUrl: body.endpoint_url,
    timeoutMs: orDefault(body.timeout_ms, DEFAULT_GUARDRAIL_TIMEOUT_MS),
    bearerToken: body.bearer_token,
  };
}
