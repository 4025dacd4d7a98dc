/**
 * Importing a Studio catalog row into the registry (contract 7). A new row is created from the
 * catalog; a re-import by `studio_service_id` is idempotent and never overrides the operator:
 *
 * - Studio owns `studio_metadata` (what it last said: environment, status, tags, base URL,
 *   suggested route, methods and pricing) and `last_synced_at`.
 * - `display_name`, `upstream_base_url` and `allowed_methods` are seeded from Studio and keep
 *   following it only while they still hold what Studio last sent: once the operator changes
 *   one, it is theirs. Studio dropping its base URL never clears a working upstream.
 * - The operator owns everything else: credential, enabled, route pattern, timeout, body limit,
 *   cost mode and estimate, fallbacks, project and links — seeded at creation where Studio has
 *   a value (route, pricing), never touched again.
 */
import type { CatalogEntry, ImportableEntry, StudioMetadata } from "./service-catalog.ts";
import { DEFAULT_METHODS, type HttpMethod } from "./service-settings.ts";

/** The registry as import planning sees it. */
export interface RegisteredService {
  name: string;
  studioServiceId: string | null;
  routePattern: string;
}

export interface RegistryIndex {
  byStudioId: Map<string, RegisteredService>;
  byName: Map<string, RegisteredService>;
  byRoute: Map<string, RegisteredService>;
}

export function indexRegistry(services: readonly RegisteredService[]): RegistryIndex {
  const index: RegistryIndex = { byStudioId: new Map(), byName: new Map(), byRoute: new Map() };
  for (const s of services) {
    if (s.studioServiceId !== null) index.byStudioId.set(s.studioServiceId, s);
    index.byName.set(s.name, s);
    index.byRoute.set(s.routePattern, s);
  }
  return index;
}

/** Why importing this (valid) entry would fail against the registry, or null. */
export function importConflict(entry: ImportableEntry, index: RegistryIndex): string | null {
  if (index.byStudioId.has(entry.studioServiceId)) return null; // a re-import: name and route stay
  const named = index.byName.get(entry.name);
  if (named) {
    return `a service named "${entry.name}" already exists and was not imported from this Studio service; rename or delete it, or set its studio_service_id to link it`;
  }
  const routed = index.byRoute.get(entry.routePattern);
  if (routed) return `route pattern "${entry.routePattern}" is already used by service "${routed.name}"`;
  return null;
}

/** The Studio-seeded fields of a registration. */
export interface StudioSeeded {
  displayName: string | null;
  upstreamBaseUrl: string | null;
  allowedMethods: HttpMethod[];
  studioMetadata: StudioMetadata | null;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Order-insensitive JSON equality (PostgreSQL's jsonb reorders object keys). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The Studio-seeded fields after re-importing `entry` over `current` (module comment). */
export function mergeStudioSeeded(current: StudioSeeded, entry: CatalogEntry): StudioSeeded {
  const last = current.studioMetadata;
  // A row linked by hand (no metadata yet): Studio only fills what is empty.
  const untouched = <T>(value: T, lastSent: T, same: (a: T, b: T) => boolean) =>
    last ? same(value, lastSent) : value === null;
  const eq = <T>(a: T, b: T) => a === b;
  const lastMethods = last?.allowed_methods ?? [...DEFAULT_METHODS];
  return {
    displayName: untouched(current.displayName, last?.display_name ?? null, eq)
      ? entry.displayName
      : current.displayName,
    upstreamBaseUrl:
      entry.upstreamBaseUrl !== null && untouched(current.upstreamBaseUrl, last?.base_url ?? null, eq)
        ? entry.upstreamBaseUrl
        : current.upstreamBaseUrl,
    allowedMethods:
      last && sameList(current.allowedMethods, lastMethods) ? entry.allowedMethods : current.allowedMethods,
    studioMetadata: entry.metadata,
  };
}

export function sameSeeded(a: StudioSeeded, b: StudioSeeded): boolean {
  return (
    a.displayName === b.displayName &&
    a.upstreamBaseUrl === b.upstreamBaseUrl &&
    sameList(a.allowedMethods, b.allowedMethods) &&
    sameJson(a.studioMetadata, b.studioMetadata)
  );
}
