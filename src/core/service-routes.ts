/** What the proxy needs of a registered service, held in memory. */
export interface ServiceRoute {
  name: string;
  routePattern: string;
  upstreamBaseUrl: string | null;
  credential: string | null;
  enabled: boolean;
  allowedMethods: string[];
  timeoutMs: number;
  maxBodyBytes: number;
  costMode: "none" | "fixed" | "passthrough";
  estimatedCostUsd: number | null;
  fallbackServices: string[];
}

export interface ServiceMatch {
  service: ServiceRoute | null;
  /** The name asked for through `/services/<name>` when no such service exists. */
  name: string;
  /** Path (and query) the upstream gets. */
  upstreamPath: string;
}

export interface ServiceTable {
  byName: ReadonlyMap<string, ServiceRoute>;
  /** Registered patterns, longest first: exact ones and `P/*` prefixes. */
  patterns: readonly { service: ServiceRoute; exact: string | null; prefix: string | null }[];
}

export function buildServiceTable(services: ServiceRoute[]): ServiceTable {
  const patterns = services
    .map((service) => {
      const wildcard = service.routePattern.endsWith("/*");
      return {
        service,
        exact: wildcard ? null : service.routePattern,
        prefix: wildcard ? service.routePattern.slice(0, -2) : null,
      };
    })
    .sort((a, b) => b.service.routePattern.length - a.service.routePattern.length);
  return { byName: new Map(services.map((s) => [s.name, s])), patterns };
}

const ALIAS = "/services/";

/**
 * Contract 4 resolution for non-AI paths: registered route patterns (longest first; `P/*`
 * forwards the path minus `P`, empty ⇒ `/`, an exact pattern forwards the path unchanged), then
 * the `/services/<name>[/<rest>]` alias. The query string is kept. Null: not a service path.
 */
export function matchService(table: ServiceTable, path: string, query: string): ServiceMatch | null {
  for (const { service, exact, prefix } of table.patterns) {
    if (exact !== null && path === exact) return { service, name: service.name, upstreamPath: path + query };
    if (prefix !== null && (path === prefix || path.startsWith(prefix + "/"))) {
      return { service, name: service.name, upstreamPath: (path.slice(prefix.length) || "/") + query };
    }
  }
  if (!path.startsWith(ALIAS)) return null;
  const rest = path.slice(ALIAS.length);
  const slash = rest.indexOf("/");
  const name = slash === -1 ? rest : rest.slice(0, slash);
  if (name === "") return null;
  return { service: table.byName.get(name) ?? null, name, upstreamPath: (slash === -1 ? "/" : rest.slice(slash)) + query };
}

export type ServiceState = "ok" | "disabled_service" | "incomplete_service";

export function serviceState(service: ServiceRoute): ServiceState {
  if (!service.enabled) return "disabled_service";
  if (!service.upstreamBaseUrl || !service.credential) return "incomplete_service";
  return "ok";
}
