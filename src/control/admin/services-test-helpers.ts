import type { TestGateway } from "../../testing/test-gateway.ts";
import { call, jsonOf } from "./admin-test-helpers.ts";

/** A service as `/admin/services` shows it. */
export interface Service {
  name: string;
  display_name: string | null;
  project_id: string | null;
  studio_service_id: string | null;
  route_pattern: string;
  upstream_base_url: string | null;
  enabled: boolean;
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

/** Calls the admin API and keeps every response body, to prove no secret ever appeared in one. */
export function recordingClient(gw: () => TestGateway) {
  const bodies: string[] = [];
  const send = async (method: string, path: string, body?: unknown) => {
    const res = await call(gw(), method, path, body);
    bodies.push(await res.clone().text());
    return res;
  };
  const ok = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown, status = 200) =>
    jsonOf<T>(await send(method, path, body), status);
  return { bodies, send, ok };
}
