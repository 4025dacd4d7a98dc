/**
 * The operator-writable state of a service registration and the rules over it that a single
 * field cannot express: defaults, PATCH semantics, cost, fallbacks, and "enabled ⇒ routable".
 */
import { defaultRoutePattern } from "./service-route-patterns.ts";

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export const COST_MODES = ["none", "fixed", "passthrough"] as const;
export type CostMode = (typeof COST_MODES)[number];
export type ServiceSource = "gateway" | "studio";
export type SyncStatus = "local" | "synced" | "incomplete" | "stale" | "failed";
export type RuntimeField = "upstream_base_url" | "credential";

export const DEFAULT_METHODS: readonly HttpMethod[] = ["POST"];
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;
export const MAX_FALLBACK_SERVICES = 10;

export interface ServiceSettings {
  name: string;
  displayName: string | null;
  projectId: string | null;
  studioServiceId: string | null;
  routePattern: string;
  upstreamBaseUrl: string | null;
  enabled: boolean;
  allowedMethods: HttpMethod[];
  credential: string | null;
  timeoutMs: number;
  maxBodyBytes: number;
  costMode: CostMode;
  estimatedCostUsd: number | null;
  fallbackServices: string[];
}

/** Absent (undefined) = unchanged; null = cleared, or back to the default. The name is fixed. */
export type ServicePatch = { [K in Exclude<keyof ServiceSettings, "name" | "enabled">]?: ServiceSettings[K] | null } & {
  enabled?: boolean;
};

/** A new registration: the contract's defaults under what the operator gave. */
export function newServiceSettings(name: string, given: ServicePatch): ServiceSettings {
  return applyServicePatch(
    {
      name,
      displayName: null,
      projectId: null,
      studioServiceId: null,
      routePattern: defaultRoutePattern(name),
      upstreamBaseUrl: null,
      enabled: false,
      allowedMethods: [...DEFAULT_METHODS],
      credential: null,
      timeoutMs: DEFAULT_TIMEOUT_MS,
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      costMode: "none",
      estimatedCostUsd: null,
      fallbackServices: [],
    },
    given,
  );
}

export function applyServicePatch(current: ServiceSettings, patch: ServicePatch): ServiceSettings {
  const pick = <K extends keyof ServicePatch>(key: K, fallback: ServiceSettings[K]): ServiceSettings[K] => {
    const value = patch[key];
    if (value === undefined) return current[key];
    return (value ?? fallback) as ServiceSettings[K];
  };
  return {
    name: current.name,
    displayName: pick("displayName", null),
    projectId: pick("projectId", null),
    studioServiceId: pick("studioServiceId", null),
    routePattern: pick("routePattern", defaultRoutePattern(current.name)),
    upstreamBaseUrl: pick("upstreamBaseUrl", null),
    enabled: patch.enabled ?? current.enabled,
    allowedMethods: pick("allowedMethods", [...DEFAULT_METHODS]),
    credential: pick("credential", null),
    timeoutMs: pick("timeoutMs", DEFAULT_TIMEOUT_MS),
    maxBodyBytes: pick("maxBodyBytes", DEFAULT_MAX_BODY_BYTES),
    costMode: pick("costMode", "none"),
    estimatedCostUsd: pick("estimatedCostUsd", null),
    fallbackServices: pick("fallbackServices", []),
  };
}

/** Which of the fields a request needs are missing: stored on every write. */
export function missingRuntimeFields(s: { upstreamBaseUrl: string | null; credential: string | null }): RuntimeField[] {
  const missing: RuntimeField[] = [];
  if (s.upstreamBaseUrl === null) missing.push("upstream_base_url");
  if (s.credential === null) missing.push("credential");
  return missing;
}

/** Contract 7: routable ⇔ enabled, upstream and credential set. */
export function isRoutable(s: {
  enabled: boolean;
  upstreamBaseUrl: string | null;
  credential: string | null;
}): boolean {
  return s.enabled && missingRuntimeFields(s).length === 0;
}

/** Local services are `local`; imported ones `incomplete` until they could be routed, then `synced`. */
export function syncStatusOf(source: ServiceSource, missing: readonly RuntimeField[]): SyncStatus {
  if (source === "gateway") return "local";
  return missing.length > 0 ? "incomplete" : "synced";
}

export type SettingsProblem =
  { kind: "invalid"; field: string; message: string } | { kind: "incomplete"; missing: RuntimeField[] };

/** The rules across fields; the repository adds those that need the database (fallbacks exist). */
export function settingsProblem(s: ServiceSettings): SettingsProblem | null {
  if (s.costMode === "fixed" && s.estimatedCostUsd === null) {
    return { kind: "invalid", field: "estimated_cost_usd", message: 'is required when cost_mode is "fixed"' };
  }
  if (s.fallbackServices.includes(s.name)) {
    return { kind: "invalid", field: "fallback_services", message: "must not list the service itself" };
  }
  const missing = missingRuntimeFields(s);
  // Enabled means routable: enabling, or clearing what an enabled service needs, is refused.
  if (s.enabled && missing.length > 0) return { kind: "incomplete", missing };
  return null;
}
