import type { KeyPolicy } from "./policy.ts";

/** Contract 5 defaults: what a key gets for every policy field it does not set. */
export const DEFAULT_KEY_POLICY: Readonly<KeyPolicy> = Object.freeze({
  allowedRoutes: ["/v1/chat/completions", "/v1/responses"],
  allowedModels: [],
  allowedProviders: ["litellm"],
  allowedServices: null,
  rpmLimit: null,
  tpmLimit: null,
  dailyBudgetUsd: null,
  monthlyBudgetUsd: null,
  allowStreaming: false,
  allowTools: false,
});

/** A partial policy as an operator sends it: absent = unchanged, null = back to the default. */
export type KeyPolicyPatch = { [K in keyof KeyPolicy]?: KeyPolicy[K] | null };

/**
 * Field-by-field merge (lists replace, they are not appended). For the nullable fields
 * (limits, budgets, allowed_services) the default is null, so null clears them.
 */
export function applyKeyPolicyPatch(base: Readonly<KeyPolicy>, patch: KeyPolicyPatch): KeyPolicy {
  const merged = { ...base } as Record<keyof KeyPolicy, unknown>;
  for (const field of Object.keys(DEFAULT_KEY_POLICY) as (keyof KeyPolicy)[]) {
    const value = patch[field];
    if (value === undefined) continue;
    merged[field] = value === null ? DEFAULT_KEY_POLICY[field] : value;
  }
  const policy = merged as KeyPolicy;
  return {
    ...policy,
    allowedRoutes: [...policy.allowedRoutes],
    allowedModels: [...policy.allowedModels],
    allowedProviders: [...policy.allowedProviders],
    allowedServices: policy.allowedServices && [...policy.allowedServices],
  };
}
