/** The guardrail catalog's vocabulary (contract 8), shared by the admin API, the store and the proxy. */

export const GUARDRAIL_MODES = ["pre_call", "post_call", "during_call"] as const;
export type GuardrailMode = (typeof GUARDRAIL_MODES)[number];

export const FAILURE_POLICIES = ["fail_closed", "fail_open", "dry_run"] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

export const GUARDRAIL_ACTIONS = ["allow", "modify", "block", "warn"] as const;
export type GuardrailAction = (typeof GUARDRAIL_ACTIONS)[number];

export type GuardrailProviderKind = "built_in" | "http";

/** Guardrails that run in-process: seeded by the migrations, never created or deleted by the API. */
export const BUILT_IN_GUARDRAILS = ["pii-redact"] as const;

export const MIN_GUARDRAIL_TIMEOUT_MS = 100;
export const MAX_GUARDRAIL_TIMEOUT_MS = 10_000;
export const DEFAULT_GUARDRAIL_TIMEOUT_MS = 1_500;

/** A catalog entry as the gateway uses it; the admin view leaves out the bearer token. */
export interface GuardrailDefinition {
  name: string;
  description: string;
  providerKind: GuardrailProviderKind;
  /** Canonical order (pre_call, post_call, during_call), never empty. */
  modes: GuardrailMode[];
  failurePolicy: FailurePolicy;
  enabled: boolean;
  defaultOn: boolean;
  /** Documents the shape of runtime_config and per-key overrides; not enforced. */
  configSchema: Record<string, unknown>;
  /** The config a run gets, shallow-merged under the key's override. */
  runtimeConfig: Record<string, unknown>;
  /** HTTP guardrails only (null for built-ins). */
  endpointUrl: string | null;
  timeoutMs: number;
  /** Write-only secret: never rendered, never logged. */
  bearerToken: string | null;
}

/** What the HTTP client needs of a definition. */
export type HttpGuardrailTarget = Pick<GuardrailDefinition, "name" | "timeoutMs" | "bearerToken"> & {
  endpointUrl: string;
};

/** Modes in canonical order, duplicates dropped. */
export function canonicalModes(modes: readonly GuardrailMode[]): GuardrailMode[] {
  return GUARDRAIL_MODES.filter((mode) => modes.includes(mode));
}
