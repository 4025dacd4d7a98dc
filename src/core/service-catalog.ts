/**
 * Rows of Studio's catalog (`GET /studio/gateway/services`, contract 7) as import candidates.
 * Studio is another product: every field is checked, and a bad row is reported with its own
 * errors instead of failing the catalog.
 */
import { isServiceName, normalizeServiceName } from "./service-names.ts";
import { defaultRoutePattern, routePatternProblem } from "./service-route-patterns.ts";
import { COST_MODES, DEFAULT_METHODS, HTTP_METHODS, type CostMode, type HttpMethod } from "./service-settings.ts";
import { isHttpBaseUrl } from "./service-urls.ts";

/** What Studio last said about a service, kept on the registration as `studio_metadata`. */
export interface StudioMetadata {
  display_name: string | null;
  base_url: string | null;
  environment: string | null;
  status: string | null;
  tags: string[];
  allowed_methods: HttpMethod[] | null;
  route_pattern: string | null;
  default_pricing: { cost_mode: CostMode; estimated_cost_usd: number | null } | null;
}

export interface CatalogEntry {
  studioServiceId: string | null;
  name: string | null;
  /** Studio's pattern, else the default for the name. */
  routePattern: string | null;
  displayName: string | null;
  upstreamBaseUrl: string | null;
  allowedMethods: HttpMethod[];
  costMode: CostMode;
  estimatedCostUsd: number | null;
  metadata: StudioMetadata;
  errors: string[];
}

const MAX_ID_LENGTH = 200;
const MAX_LABEL_LENGTH = 200;
const MAX_TAGS = 50;

const label = (value: unknown): string | null =>
  typeof value === "string" && value.trim() !== "" ? value.trim().slice(0, MAX_LABEL_LENGTH) : null;

function studioId(value: unknown): string | null {
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  const text = typeof value === "string" ? value.trim() : "";
  return text !== "" && text.length <= MAX_ID_LENGTH ? text : null;
}

function methodsOf(raw: unknown, errors: string[]): HttpMethod[] | null {
  if (raw === undefined || raw === null) return null;
  if (!Array.isArray(raw)) {
    errors.push("allowed_methods must be a list of HTTP methods");
    return null;
  }
  const given = new Set(raw.filter((m): m is string => typeof m === "string").map((m) => m.trim().toUpperCase()));
  const methods = HTTP_METHODS.filter((m) => given.has(m));
  return methods.length > 0 ? methods : null;
}

function pricingOf(raw: unknown, errors: string[]): StudioMetadata["default_pricing"] {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    errors.push("default_pricing must be an object");
    return null;
  }
  const { cost_mode: mode = "none", estimated_cost_usd: estimate = null } = raw as Record<string, unknown>;
  const costMode = typeof mode === "string" ? mode.trim().toLowerCase() : mode;
  if (!COST_MODES.includes(costMode as CostMode)) {
    errors.push(`default_pricing.cost_mode must be one of ${COST_MODES.join(", ")}`);
    return null;
  }
  if (
    estimate !== null &&
    (typeof estimate !== "number" || !Number.isFinite(estimate) || estimate < 0 || estimate >= 1e10)
  ) {
    errors.push("default_pricing.estimated_cost_usd must be a number >= 0");
    return null;
  }
  if (costMode === "fixed" && estimate === null) {
    errors.push('default_pricing.estimated_cost_usd is required when cost_mode is "fixed"');
    return null;
  }
  return {
    cost_mode: costMode as CostMode,
    estimated_cost_usd: estimate === null ? null : Math.round(estimate * 1e8) / 1e8,
  };
}

/** One catalog row as an import candidate; `errors` empty ⇔ importable (before conflicts). */
export function normalizeStudioRow(raw: unknown): CatalogEntry {
  const errors: string[] = [];
  const row = typeof raw === "object" && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null;
  if (!row) errors.push("the row is not a JSON object");
  const field = (key: string): unknown => row?.[key];

  const studioServiceId = studioId(field("studio_service_id") ?? field("service_id"));
  if (row && studioServiceId === null) {
    errors.push(`studio_service_id (or service_id) is missing, blank or longer than ${MAX_ID_LENGTH} characters`);
  }
  const name =
    [field("gateway_service_name"), field("name"), studioServiceId].map(normalizeServiceName).find((n) => n !== null) ??
    null;
  if (row && name === null) {
    errors.push(
      "no usable gateway name: gateway_service_name, name and studio_service_id are all missing or have no letters or digits",
    );
  }

  const rawPattern = field("default_route_pattern") ?? field("route_pattern") ?? null;
  let studioPattern: string | null = null;
  if (rawPattern !== null && typeof rawPattern !== "string") errors.push("default_route_pattern must be a string");
  if (typeof rawPattern === "string") {
    const problem = routePatternProblem(rawPattern.trim());
    if (problem) errors.push(`default_route_pattern "${rawPattern.trim().slice(0, 200)}" ${problem}`);
    else studioPattern = rawPattern.trim();
  }

  const rawBase = field("base_url") ?? null;
  let baseUrl: string | null = null;
  // Never echoed: a malformed URL may carry user info.
  if (rawBase !== null && (typeof rawBase !== "string" || !isHttpBaseUrl(rawBase.trim()))) {
    errors.push("base_url must be an http:// or https:// URL with a host, and no user info, query or fragment");
  } else if (typeof rawBase === "string") baseUrl = rawBase.trim();

  const methods = methodsOf(field("allowed_methods"), errors);
  const pricing = pricingOf(field("default_pricing"), errors);
  const rawTags = field("tags");
  const tags = Array.isArray(rawTags)
    ? rawTags
        .map(label)
        .filter((t): t is string => t !== null)
        .slice(0, MAX_TAGS)
    : [];
  const metadata: StudioMetadata = {
    display_name: label(field("display_name")),
    base_url: baseUrl,
    environment: label(field("environment")),
    status: label(field("status")),
    tags,
    allowed_methods: methods,
    route_pattern: studioPattern,
    default_pricing: pricing,
  };
  return {
    studioServiceId,
    name,
    routePattern: studioPattern ?? (name ? defaultRoutePattern(name) : null),
    displayName: metadata.display_name,
    upstreamBaseUrl: baseUrl,
    allowedMethods: methods ?? [...DEFAULT_METHODS],
    costMode: pricing?.cost_mode ?? "none",
    estimatedCostUsd: pricing?.estimated_cost_usd ?? null,
    metadata,
    errors,
  };
}

/** Every row, with duplicates of an earlier row's id, name or route reported on the later one. */
export function normalizeStudioCatalog(rows: readonly unknown[]): CatalogEntry[] {
  const seen = { id: new Set<string>(), name: new Set<string>(), route: new Set<string>() };
  return rows.map((raw) => {
    const entry = normalizeStudioRow(raw);
    const { studioServiceId: id, name, routePattern: route } = entry;
    if (id !== null && seen.id.has(id)) entry.errors.push("studio_service_id appears more than once in the catalog");
    if (name !== null && seen.name.has(name))
      entry.errors.push(`gateway name "${name}" is also the name of an earlier row`);
    if (route !== null && seen.route.has(route))
      entry.errors.push(`route pattern "${route}" is also the route of an earlier row`);
    if (id !== null) seen.id.add(id);
    if (name !== null) seen.name.add(name);
    if (route !== null) seen.route.add(route);
    return entry;
  });
}

/** A valid entry: ready to import. */
export type ImportableEntry = CatalogEntry & { studioServiceId: string; name: string; routePattern: string };

export function isImportable(entry: CatalogEntry): entry is ImportableEntry {
  return (
    entry.errors.length === 0 && entry.studioServiceId !== null && entry.name !== null && isServiceName(entry.name)
  );
}
