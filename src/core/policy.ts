/** Route ids the key policy speaks of (contract 4). */
export const ROUTE_IDS = [
  "/v1/chat/completions",
  "/v1/responses",
  "/v1/embeddings",
  "/providers/openai/*",
  "/services/*",
] as const;
export type RouteId = (typeof ROUTE_IDS)[number];

export const PROVIDERS = ["litellm", "openai", "internal-service"] as const;
export type Provider = (typeof PROVIDERS)[number];

export interface KeyPolicy {
  allowedRoutes: string[];
  /** Empty = any model. */
  allowedModels: string[];
  allowedProviders: string[];
  /** null = every linked service. */
  allowedServices: string[] | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  dailyBudgetUsd: number | null;
  monthlyBudgetUsd: number | null;
  allowStreaming: boolean;
  allowTools: boolean;
}

export interface PolicyRequest {
  route: RouteId;
  provider: Provider;
  /** The service a service route targets, else null. */
  service: string | null;
  model: string | null;
  stream: boolean;
  usesTools: boolean;
}

export type PolicyRule = "route" | "provider" | "service" | "model" | "streaming" | "tools";
export type PolicyVerdict = { allowed: true } | { allowed: false; rule: PolicyRule; message: string };

const deny = (rule: PolicyRule, message: string): PolicyVerdict => ({ allowed: false, rule, message });

/**
 * Contract 5, in its order: route ⇒ provider ⇒ service ⇒ model ⇒ streaming ⇒ tools. Messages
 * name the rule, never the client's values (a model name is client input).
 * `linkedServices` are the key's effective links (project links for project keys); linking a
 * service grants its route and the internal-service provider.
 */
export function evaluatePolicy(policy: KeyPolicy, linkedServices: readonly string[], req: PolicyRequest): PolicyVerdict {
  const serviceGrant = req.service !== null && linkedServices.includes(req.service);
  if (!policy.allowedRoutes.includes(req.route) && !(req.route === "/services/*" && serviceGrant)) {
    return deny("route", "The key's policy does not allow this route.");
  }
  if (!policy.allowedProviders.includes(req.provider) && !(req.provider === "internal-service" && serviceGrant)) {
    return deny("provider", "The key's policy does not allow this provider.");
  }
  if (req.service !== null) {
    const narrowed = policy.allowedServices === null || policy.allowedServices.includes(req.service);
    if (!serviceGrant || !narrowed) return deny("service", "The key is not linked to this service.");
  }
  if (req.model !== null && policy.allowedModels.length > 0 && !policy.allowedModels.includes(req.model)) {
    return deny("model", "The key's policy does not allow this model.");
  }
  if (req.stream && !policy.allowStreaming) return deny("streaming", "The key's policy does not allow streaming.");
  if (req.usesTools && !policy.allowTools) return deny("tools", "The key's policy does not allow tools.");
  return { allowed: true };
}

export type KeyStateCode = "revoked_virtual_key" | "disabled_virtual_key" | "expired_virtual_key";

/** State checks run only after the secret was proven (contract 2). */
export function keyStateVerdict(
  key: { disabled: boolean; revokedAtMs: number | null; expiresAtMs: number | null },
  nowMs: number,
): KeyStateCode | null {
  if (key.revokedAtMs !== null) return "revoked_virtual_key";
  if (key.disabled) return "disabled_virtual_key";
  if (key.expiresAtMs !== null && key.expiresAtMs <= nowMs) return "expired_virtual_key";
  return null;
}
