/**
 * The whole data model. drizzle-kit generates `drizzle/` from this file; seeds live in custom
 * migrations. CHECK constraints mirror the contract's validation rules, so a bug in the API
 * layer cannot store what the contract forbids.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();
const textArray = (name: string) => text(name).array().notNull().default(sql`'{}'::text[]`);
const usd = (name: string) => numeric(name, { precision: 18, scale: 8, mode: "number" });

export const SERVICE_NAME_PATTERN = "^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$";
const HTTP_URL_PATTERN = "^https?://[^/\\s]+";

export const projects = pgTable(
  "projects",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("projects_name_key").on(t.name),
    check("projects_name_valid", sql`${t.name} = btrim(${t.name}) and char_length(${t.name}) between 1 and 128`),
  ],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    ownerType: text("owner_type", { enum: ["project", "individual"] }).notNull(),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "restrict" }),
    keyPrefix: text("key_prefix").notNull(),
    /** Hex SHA-256 of the raw key; the raw key is never stored. */
    keyDigest: text("key_digest").notNull(),
    name: text("name"),
    disabled: boolean("disabled").notNull().default(false),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("api_keys_key_digest_key").on(t.keyDigest),
    index("api_keys_key_prefix_idx").on(t.keyPrefix),
    index("api_keys_project_id_idx").on(t.projectId),
    check("api_keys_owner_type_valid", sql`${t.ownerType} in ('project', 'individual')`),
    check("api_keys_project_owner", sql`(${t.ownerType} = 'project') = (${t.projectId} is not null)`),
    check("api_keys_key_prefix_valid", sql`${t.keyPrefix} ~ '^rk_live_[0-9a-f]{8}$'`),
    check("api_keys_key_digest_valid", sql`${t.keyDigest} ~ '^[0-9a-f]{64}$'`),
    check("api_keys_name_length", sql`${t.name} is null or char_length(${t.name}) <= 200`),
  ],
);

export const keyPolicies = pgTable(
  "key_policies",
  {
    keyId: uuid("key_id").primaryKey().references(() => apiKeys.id, { onDelete: "cascade" }),
    allowedRoutes: text("allowed_routes")
      .array()
      .notNull()
      .default(sql`'{/v1/chat/completions,/v1/responses}'::text[]`),
    allowedModels: textArray("allowed_models"),
    allowedProviders: text("allowed_providers").array().notNull().default(sql`'{litellm}'::text[]`),
    /** null ⇒ every linked service; a list narrows the links further. */
    allowedServices: text("allowed_services").array(),
    rpmLimit: integer("rpm_limit"),
    tpmLimit: integer("tpm_limit"),
    dailyBudgetUsd: usd("daily_budget_usd"),
    monthlyBudgetUsd: usd("monthly_budget_usd"),
    allowStreaming: boolean("allow_streaming").notNull().default(false),
    allowTools: boolean("allow_tools").notNull().default(false),
    updatedAt: updatedAt(),
  },
  (t) => [
    check("key_policies_rpm_positive", sql`${t.rpmLimit} is null or ${t.rpmLimit} > 0`),
    check("key_policies_tpm_positive", sql`${t.tpmLimit} is null or ${t.tpmLimit} > 0`),
    check("key_policies_daily_budget_nonnegative", sql`${t.dailyBudgetUsd} is null or ${t.dailyBudgetUsd} >= 0`),
    check(
      "key_policies_monthly_budget_nonnegative",
      sql`${t.monthlyBudgetUsd} is null or ${t.monthlyBudgetUsd} >= 0`,
    ),
  ],
);

export const keyGuardrailPolicies = pgTable(
  "key_guardrail_policies",
  {
    keyId: uuid("key_id").primaryKey().references(() => apiKeys.id, { onDelete: "cascade" }),
    mandatoryGuardrails: textArray("mandatory_guardrails"),
    optionalGuardrails: textArray("optional_guardrails"),
    forbiddenGuardrails: textArray("forbidden_guardrails"),
    guardrailConfigOverrides: jsonb("guardrail_config_overrides")
      .$type<Record<string, Record<string, unknown>>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    updatedAt: updatedAt(),
  },
  (t) => [
    check("key_guardrail_policies_overrides_object", sql`jsonb_typeof(${t.guardrailConfigOverrides}) = 'object'`),
    check(
      "key_guardrail_policies_forbidden_disjoint",
      sql`not (${t.forbiddenGuardrails} && (${t.mandatoryGuardrails} || ${t.optionalGuardrails}))`,
    ),
  ],
);

export const serviceRegistrations = pgTable(
  "service_registrations",
  {
    name: text("name").primaryKey(),
    displayName: text("display_name"),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "restrict" }),
    studioServiceId: text("studio_service_id"),
    routePattern: text("route_pattern").notNull(),
    upstreamBaseUrl: text("upstream_base_url"),
    enabled: boolean("enabled").notNull().default(false),
    allowedMethods: text("allowed_methods").array().notNull().default(sql`'{POST}'::text[]`),
    /** Write-only: sent upstream, never returned by the API. */
    credential: text("credential"),
    timeoutMs: integer("timeout_ms").notNull().default(60_000),
    maxBodyBytes: integer("max_body_bytes").notNull().default(2 * 1024 * 1024),
    costMode: text("cost_mode", { enum: ["none", "fixed", "passthrough"] }).notNull().default("none"),
    estimatedCostUsd: usd("estimated_cost_usd"),
    fallbackServices: textArray("fallback_services"),
    source: text("source", { enum: ["gateway", "studio"] }).notNull().default("gateway"),
    syncStatus: text("sync_status", { enum: ["local", "synced", "incomplete", "stale", "failed"] })
      .notNull()
      .default("local"),
    lastSyncedAt: timestamp("last_synced_at", { withTimezone: true }),
    missingRuntimeFields: textArray("missing_runtime_fields"),
    /** Studio's descriptive fields (environment, status, tags) as last imported. */
    studioMetadata: jsonb("studio_metadata").$type<Record<string, unknown>>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("service_registrations_studio_service_id_key").on(t.studioServiceId),
    uniqueIndex("service_registrations_route_pattern_key").on(t.routePattern),
    check("service_registrations_name_valid", sql.raw(`"name" ~ '${SERVICE_NAME_PATTERN}'`)),
    check(
      "service_registrations_route_pattern_valid",
      sql`left(${t.routePattern}, 1) = '/' and position('//' in ${t.routePattern}) = 0`,
    ),
    check(
      "service_registrations_upstream_url_valid",
      sql.raw(`"upstream_base_url" is null or "upstream_base_url" ~ '${HTTP_URL_PATTERN}'`),
    ),
    check(
      "service_registrations_methods_valid",
      sql`cardinality(${t.allowedMethods}) > 0 and ${t.allowedMethods} <@ '{GET,POST,PUT,PATCH,DELETE}'::text[]`,
    ),
    check("service_registrations_timeout_range", sql`${t.timeoutMs} between 1 and 600000`),
    check("service_registrations_max_body_range", sql`${t.maxBodyBytes} between 1 and 104857600`),
    check("service_registrations_cost_mode_valid", sql`${t.costMode} in ('none', 'fixed', 'passthrough')`),
    check(
      "service_registrations_fixed_cost_estimate",
      sql`${t.costMode} <> 'fixed' or ${t.estimatedCostUsd} is not null`,
    ),
    check(
      "service_registrations_estimate_nonnegative",
      sql`${t.estimatedCostUsd} is null or ${t.estimatedCostUsd} >= 0`,
    ),
    check("service_registrations_source_valid", sql`${t.source} in ('gateway', 'studio')`),
    check(
      "service_registrations_sync_status_valid",
      sql`${t.syncStatus} in ('local', 'synced', 'incomplete', 'stale', 'failed')`,
    ),
  ],
);

export const projectServiceLinks = pgTable(
  "project_service_links",
  {
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    serviceName: text("service_name")
      .notNull()
      .references(() => serviceRegistrations.name, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.serviceName] }),
    index("project_service_links_service_idx").on(t.serviceName),
  ],
);

export const keyServiceLinks = pgTable(
  "key_service_links",
  {
    keyId: uuid("key_id")
      .notNull()
      .references(() => apiKeys.id, { onDelete: "cascade" }),
    serviceName: text("service_name")
      .notNull()
      .references(() => serviceRegistrations.name, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.keyId, t.serviceName] }),
    index("key_service_links_service_idx").on(t.serviceName),
  ],
);

export const providerConfigs = pgTable(
  "provider_configs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    kind: text("kind", { enum: ["litellm", "internal-service"] }).notNull(),
    name: text("name").notNull(),
    baseUrl: text("base_url").notNull(),
    /** Write-only: sent upstream, never returned by the API. */
    credential: text("credential"),
    enabled: boolean("enabled").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("provider_configs_name_key").on(t.name),
    uniqueIndex("provider_configs_one_enabled_litellm")
      .on(t.kind)
      .where(sql`${t.kind} = 'litellm' and ${t.enabled}`),
    check("provider_configs_kind_valid", sql`${t.kind} in ('litellm', 'internal-service')`),
    check("provider_configs_name_valid", sql`char_length(${t.name}) between 1 and 128`),
    check("provider_configs_base_url_valid", sql.raw(`"base_url" ~ '${HTTP_URL_PATTERN}'`)),
  ],
);

export const openaiRouteSettings = pgTable(
  "openai_route_settings",
  {
    routeId: text("route_id").primaryKey(),
    path: text("path").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    updatedAt: updatedAt(),
  },
  (t) => [
    check("openai_route_settings_route_id_valid", sql`${t.routeId} in ('chat-completions', 'responses', 'embeddings')`),
  ],
);

export const studioConnectionSettings = pgTable(
  "studio_connection_settings",
  {
    id: smallint("id").primaryKey().default(1),
    baseUrl: text("base_url"),
    /** Write-only: never returned by the API. */
    token: text("token"),
    updatedAt: updatedAt(),
  },
  (t) => [
    check("studio_connection_settings_singleton", sql`${t.id} = 1`),
    check(
      "studio_connection_settings_base_url_valid",
      sql.raw(`"base_url" is null or "base_url" ~ '${HTTP_URL_PATTERN}'`),
    ),
    check("studio_connection_settings_token_not_blank", sql`${t.token} is null or btrim(${t.token}) <> ''`),
  ],
);

export const operatorTokens = pgTable(
  "operator_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tokenPrefix: text("token_prefix").notNull(),
    /** Hex SHA-256 of the raw token; the raw token is never stored. */
    tokenDigest: text("token_digest").notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("operator_tokens_token_digest_key").on(t.tokenDigest),
    index("operator_tokens_token_prefix_idx").on(t.tokenPrefix),
    // At most one active token, enforced by the database itself.
    uniqueIndex("operator_tokens_one_active").on(sql`(true)`).where(sql`${t.revokedAt} is null`),
    check("operator_tokens_token_prefix_valid", sql`${t.tokenPrefix} ~ '^op_live_[0-9a-f]{8}$'`),
    check("operator_tokens_token_digest_valid", sql`${t.tokenDigest} ~ '^[0-9a-f]{64}$'`),
  ],
);

export const usageEvents = pgTable(
  "usage_events",
  {
    id: bigint("id", { mode: "number" }).generatedAlwaysAsIdentity(),
    requestId: text("request_id").notNull(),
    keyId: uuid("key_id"),
    projectId: uuid("project_id"),
    route: text("route").notNull(),
    model: text("model"),
    provider: text("provider"),
    serviceName: text("service_name"),
    taskId: text("task_id"),
    runId: text("run_id"),
    status: text("status", { enum: ["success", "failure"] }).notNull(),
    statusCode: integer("status_code").notNull(),
    /** The gateway error code, or e.g. `client_aborted` / `upstream_stream_error` for cut streams. */
    errorCode: text("error_code"),
    stream: boolean("stream").notNull().default(false),
    latencyMs: integer("latency_ms").notNull().default(0),
    firstTokenMs: integer("first_token_ms"),
    inputTokens: integer("input_tokens").notNull().default(0),
    outputTokens: integer("output_tokens").notNull().default(0),
    totalTokens: integer("total_tokens").notNull().default(0),
    estimatedCostUsd: usd("estimated_cost_usd").notNull().default(0),
    fallbackCount: smallint("fallback_count").notNull().default(0),
    guardrails: textArray("guardrails"),
    createdAt: createdAt(),
  },
  (t) => [
    // Range-partitioned by month on created_at (drizzle/0004_usage_partitions.sql, maintained by
    // store/usage-partitions.ts); a partitioned table's primary key must hold the partition key.
    // Time first: the key is also the created_at index (time windows, and the export's exact
    // (created_at, id) order), so no separate one is maintained on every insert.
    primaryKey({ columns: [t.createdAt, t.id] }),
    index("usage_events_key_created_idx").on(t.keyId, t.createdAt),
    // Dimensions that are often null are indexed only where set: every index is paid for on each
    // insert (measured: 8 full indexes 21 us/row, these 15.5 us/row). No request_id index: a
    // request id is looked up with its time, which the created_at index narrows. No model or
    // provider index either: both are set on every AI row, have few distinct values, and are
    // always asked for over a time window (by-model, by-provider, provider health), which the
    // created_at index narrows; the two cost ~20% of the ledger's PostgreSQL time per row.
    index("usage_events_project_created_idx").on(t.projectId, t.createdAt).where(sql`${t.projectId} is not null`),
    index("usage_events_service_created_idx").on(t.serviceName, t.createdAt).where(sql`${t.serviceName} is not null`),
    index("usage_events_task_created_idx").on(t.taskId, t.createdAt).where(sql`${t.taskId} is not null`),
    check("usage_events_status_valid", sql`${t.status} in ('success', 'failure')`),
    check(
      "usage_events_counts_nonnegative",
      sql`${t.inputTokens} >= 0 and ${t.outputTokens} >= 0 and ${t.totalTokens} >= 0 and ${t.latencyMs} >= 0`,
    ),
    check("usage_events_cost_nonnegative", sql`${t.estimatedCostUsd} >= 0`),
  ],
);

/** Operator-set prices per model: estimates before a call, and cost when the upstream reports none. */
export const modelPrices = pgTable(
  "model_prices",
  {
    model: text("model").primaryKey(),
    inputUsdPerMillion: usd("input_usd_per_million").notNull(),
    outputUsdPerMillion: usd("output_usd_per_million").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check("model_prices_model_valid", sql`char_length(${t.model}) between 1 and 200`),
    check(
      "model_prices_nonnegative",
      sql`${t.inputUsdPerMillion} >= 0 and ${t.outputUsdPerMillion} >= 0`,
    ),
  ],
);

export const guardrailDefinitions = pgTable(
  "guardrail_definitions",
  {
    name: text("name").primaryKey(),
    description: text("description").notNull().default(""),
    providerKind: text("provider_kind", { enum: ["built_in", "http"] }).notNull(),
    modes: text("modes").array().notNull(),
    failurePolicy: text("failure_policy", { enum: ["fail_closed", "fail_open", "dry_run"] })
      .notNull()
      .default("fail_closed"),
    enabled: boolean("enabled").notNull().default(true),
    defaultOn: boolean("default_on").notNull().default(false),
    configSchema: jsonb("config_schema").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    runtimeConfig: jsonb("runtime_config").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    endpointUrl: text("endpoint_url"),
    timeoutMs: integer("timeout_ms").notNull().default(1500),
    /** Write-only: never returned by the API. */
    bearerToken: text("bearer_token"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check("guardrail_definitions_name_valid", sql.raw(`"name" ~ '${SERVICE_NAME_PATTERN}'`)),
    check("guardrail_definitions_kind_valid", sql`${t.providerKind} in ('built_in', 'http')`),
    check(
      "guardrail_definitions_modes_valid",
      sql`cardinality(${t.modes}) > 0 and ${t.modes} <@ '{pre_call,post_call,during_call}'::text[]`,
    ),
    check(
      "guardrail_definitions_failure_policy_valid",
      sql`${t.failurePolicy} in ('fail_closed', 'fail_open', 'dry_run')`,
    ),
    check("guardrail_definitions_timeout_range", sql`${t.timeoutMs} between 100 and 10000`),
    check("guardrail_definitions_runtime_config_object", sql`jsonb_typeof(${t.runtimeConfig}) = 'object'`),
    check("guardrail_definitions_config_schema_object", sql`jsonb_typeof(${t.configSchema}) = 'object'`),
    check(
      "guardrail_definitions_http_endpoint",
      sql.raw(
        `("provider_kind" = 'http') = ("endpoint_url" is not null) and ("endpoint_url" is null or "endpoint_url" ~ '${HTTP_URL_PATTERN}')`,
      ),
    ),
    check(
      "guardrail_definitions_built_in_no_token",
      sql`${t.providerKind} = 'http' or ${t.bearerToken} is null`,
    ),
  ],
);

export const guardrailExecutionEvents = pgTable(
  "guardrail_execution_events",
  {
    id: bigint("id", { mode: "number" }).generatedAlwaysAsIdentity(),
    requestId: text("request_id").notNull(),
    keyId: uuid("key_id"),
    projectId: uuid("project_id"),
    /** No foreign key: deleting a guardrail keeps its history. */
    guardrailName: text("guardrail_name").notNull(),
    mode: text("mode", { enum: ["pre_call", "post_call", "during_call"] }).notNull(),
    action: text("action", { enum: ["allow", "modify", "block", "warn"] }).notNull(),
    failurePolicy: text("failure_policy", { enum: ["fail_closed", "fail_open", "dry_run"] }).notNull(),
    latencyMs: integer("latency_ms").notNull().default(0),
    failed: boolean("failed").notNull().default(false),
    reason: text("reason"),
    /** Counts by category (e.g. {"email": 2}); never content, PII or mappings. */
    counts: jsonb("counts").$type<Record<string, number>>().notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
  },
  (t) => [
    // The listing's order (created_at, id) is the key: one index serves uniqueness, time
    // windows and pages, instead of an id key plus a created_at index on every insert.
    primaryKey({ columns: [t.createdAt, t.id] }),
    index("guardrail_execution_events_name_created_idx").on(t.guardrailName, t.createdAt),
    index("guardrail_execution_events_key_created_idx").on(t.keyId, t.createdAt),
    check("guardrail_execution_events_mode_valid", sql`${t.mode} in ('pre_call', 'post_call', 'during_call')`),
    check("guardrail_execution_events_action_valid", sql`${t.action} in ('allow', 'modify', 'block', 'warn')`),
  ],
);
