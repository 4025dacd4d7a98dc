import { sql } from "drizzle-orm";
import type { FailurePolicy, GuardrailDefinition, GuardrailMode, GuardrailProviderKind } from "../../guardrails/catalog.ts";
import { guardrailDefinitions } from "../schema.ts";

/** A catalog entry as the admin API shows it (contract 8): the bearer token only as `token_configured`. */
export interface GuardrailView {
  name: string;
  description: string;
  provider_kind: GuardrailProviderKind;
  modes: GuardrailMode[];
  failure_policy: FailurePolicy;
  enabled: boolean;
  default_on: boolean;
  config_schema: Record<string, unknown>;
  runtime_config: Record<string, unknown>;
  endpoint_url: string | null;
  timeout_ms: number;
  token_configured: boolean;
  created_at: string;
  updated_at: string;
}

const g = guardrailDefinitions;

/** Every column but the token, which is never even selected for a view. */
export const viewColumns = {
  name: g.name,
  description: g.description,
  providerKind: g.providerKind,
  modes: g.modes,
  failurePolicy: g.failurePolicy,
  enabled: g.enabled,
  defaultOn: g.defaultOn,
  configSchema: g.configSchema,
  runtimeConfig: g.runtimeConfig,
  endpointUrl: g.endpointUrl,
  timeoutMs: g.timeoutMs,
  tokenConfigured: sql<boolean>`${g.bearerToken} is not null`,
  createdAt: g.createdAt,
  updatedAt: g.updatedAt,
};

/** What viewColumns select: the definition without its token, modes as stored, plus timestamps. */
export type ViewRow = Omit<GuardrailDefinition, "bearerToken" | "modes"> & {
  modes: string[];
  tokenConfigured: boolean;
  createdAt: Date;
  updatedAt: Date;
};

export const guardrailView = (row: ViewRow): GuardrailView => ({
  name: row.name,
  description: row.description,
  provider_kind: row.providerKind,
  modes: row.modes as GuardrailMode[],
  failure_policy: row.failurePolicy,
  enabled: row.enabled,
  default_on: row.defaultOn,
  config_schema: row.configSchema,
  runtime_config: row.runtimeConfig,
  endpoint_url: row.endpointUrl,
  timeout_ms: row.timeoutMs,
  token_configured: row.tokenConfigured,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});
