import type { StudioMetadata } from "../../core/service-catalog.ts";
import { isRoutable, type HttpMethod, type ServiceSettings } from "../../core/service-settings.ts";
import type { serviceRegistrations } from "../schema.ts";

export type ServiceRow = typeof serviceRegistrations.$inferSelect;

/** A service registration as the API shows it: the credential is write-only. */
export interface ServiceView {
  name: string;
  display_name: string | null;
  project_id: string | null;
  studio_service_id: string | null;
  route_pattern: string;
  upstream_base_url: string | null;
  enabled: boolean;
  /** enabled, upstream and credential set: the proxy would forward to it. */
  routable: boolean;
  allowed_methods: string[];
  credential_configured: boolean;
  timeout_ms: number;
  max_body_bytes: number;
  cost_mode: string;
  estimated_cost_usd: number | null;
  fallback_services: string[];
  source: string;
  sync_status: string;
  last_synced_at: string | null;
  missing_runtime_fields: string[];
  studio_metadata: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
}

export function serviceView(row: ServiceRow): ServiceView {
  return {
    name: row.name,
    display_name: row.displayName,
    project_id: row.projectId,
    studio_service_id: row.studioServiceId,
    route_pattern: row.routePattern,
    upstream_base_url: row.upstreamBaseUrl,
    enabled: row.enabled,
    routable: isRoutable(row),
    allowed_methods: row.allowedMethods,
    credential_configured: row.credential !== null,
    timeout_ms: row.timeoutMs,
    max_body_bytes: row.maxBodyBytes,
    cost_mode: row.costMode,
    estimated_cost_usd: row.estimatedCostUsd,
    fallback_services: row.fallbackServices,
    source: row.source,
    sync_status: row.syncStatus,
    last_synced_at: row.lastSyncedAt?.toISOString() ?? null,
    missing_runtime_fields: row.missingRuntimeFields,
    studio_metadata: row.studioMetadata ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** The operator-writable part of a stored row. */
export function settingsOf(row: ServiceRow): ServiceSettings {
  return {
    name: row.name,
    displayName: row.displayName,
    projectId: row.projectId,
    studioServiceId: row.studioServiceId,
    routePattern: row.routePattern,
    upstreamBaseUrl: row.upstreamBaseUrl,
    enabled: row.enabled,
    allowedMethods: row.allowedMethods as HttpMethod[],
    credential: row.credential,
    timeoutMs: row.timeoutMs,
    maxBodyBytes: row.maxBodyBytes,
    costMode: row.costMode,
    estimatedCostUsd: row.estimatedCostUsd,
    fallbackServices: row.fallbackServices,
  };
}

export const metadataOf = (row: ServiceRow): StudioMetadata | null =>
  (row.studioMetadata as StudioMetadata | null) ?? null;
