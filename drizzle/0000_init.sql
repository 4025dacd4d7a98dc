CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_type" text NOT NULL,
	"project_id" uuid,
	"key_prefix" text NOT NULL,
	"key_digest" text NOT NULL,
	"name" text,
	"disabled" boolean DEFAULT false NOT NULL,
	"revoked_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_keys_owner_type_valid" CHECK ("api_keys"."owner_type" in ('project', 'individual')),
	CONSTRAINT "api_keys_project_owner" CHECK (("api_keys"."owner_type" = 'project') = ("api_keys"."project_id" is not null)),
	CONSTRAINT "api_keys_key_prefix_valid" CHECK ("api_keys"."key_prefix" ~ '^rk_live_[0-9a-f]{8}$'),
	CONSTRAINT "api_keys_key_digest_valid" CHECK ("api_keys"."key_digest" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "api_keys_name_length" CHECK ("api_keys"."name" is null or char_length("api_keys"."name") <= 200)
);
--> statement-breakpoint
CREATE TABLE "guardrail_definitions" (
	"name" text PRIMARY KEY NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"provider_kind" text NOT NULL,
	"modes" text[] NOT NULL,
	"failure_policy" text DEFAULT 'fail_closed' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"default_on" boolean DEFAULT false NOT NULL,
	"config_schema" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"runtime_config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"endpoint_url" text,
	"timeout_ms" integer DEFAULT 1500 NOT NULL,
	"bearer_token" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "guardrail_definitions_name_valid" CHECK ("name" ~ '^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$'),
	CONSTRAINT "guardrail_definitions_kind_valid" CHECK ("guardrail_definitions"."provider_kind" in ('built_in', 'http')),
	CONSTRAINT "guardrail_definitions_modes_valid" CHECK (cardinality("guardrail_definitions"."modes") > 0 and "guardrail_definitions"."modes" <@ '{pre_call,post_call,during_call}'::text[]),
	CONSTRAINT "guardrail_definitions_failure_policy_valid" CHECK ("guardrail_definitions"."failure_policy" in ('fail_closed', 'fail_open', 'dry_run')),
	CONSTRAINT "guardrail_definitions_timeout_range" CHECK ("guardrail_definitions"."timeout_ms" between 100 and 10000),
	CONSTRAINT "guardrail_definitions_runtime_config_object" CHECK (jsonb_typeof("guardrail_definitions"."runtime_config") = 'object'),
	CONSTRAINT "guardrail_definitions_config_schema_object" CHECK (jsonb_typeof("guardrail_definitions"."config_schema") = 'object'),
	CONSTRAINT "guardrail_definitions_http_endpoint" CHECK (("provider_kind" = 'http') = ("endpoint_url" is not null) and ("endpoint_url" is null or "endpoint_url" ~ '^https?://[^/\s]+')),
	CONSTRAINT "guardrail_definitions_built_in_no_token" CHECK ("guardrail_definitions"."provider_kind" = 'http' or "guardrail_definitions"."bearer_token" is null)
);
--> statement-breakpoint
CREATE TABLE "guardrail_execution_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "guardrail_execution_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"request_id" text NOT NULL,
	"key_id" uuid,
	"project_id" uuid,
	"guardrail_name" text NOT NULL,
	"mode" text NOT NULL,
	"action" text NOT NULL,
	"failure_policy" text NOT NULL,
	"latency_ms" integer DEFAULT 0 NOT NULL,
	"failed" boolean DEFAULT false NOT NULL,
	"reason" text,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "guardrail_execution_events_mode_valid" CHECK ("guardrail_execution_events"."mode" in ('pre_call', 'post_call', 'during_call')),
	CONSTRAINT "guardrail_execution_events_action_valid" CHECK ("guardrail_execution_events"."action" in ('allow', 'modify', 'block', 'warn'))
);
--> statement-breakpoint
CREATE TABLE "key_guardrail_policies" (
	"key_id" uuid PRIMARY KEY NOT NULL,
	"mandatory_guardrails" text[] DEFAULT '{}'::text[] NOT NULL,
	"optional_guardrails" text[] DEFAULT '{}'::text[] NOT NULL,
	"forbidden_guardrails" text[] DEFAULT '{}'::text[] NOT NULL,
	"guardrail_config_overrides" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "key_guardrail_policies_overrides_object" CHECK (jsonb_typeof("key_guardrail_policies"."guardrail_config_overrides") = 'object'),
	CONSTRAINT "key_guardrail_policies_forbidden_disjoint" CHECK (not ("key_guardrail_policies"."forbidden_guardrails" && ("key_guardrail_policies"."mandatory_guardrails" || "key_guardrail_policies"."optional_guardrails")))
);
--> statement-breakpoint
CREATE TABLE "key_policies" (
	"key_id" uuid PRIMARY KEY NOT NULL,
	"allowed_routes" text[] DEFAULT '{/v1/chat/completions,/v1/responses}'::text[] NOT NULL,
	"allowed_models" text[] DEFAULT '{}'::text[] NOT NULL,
	"allowed_providers" text[] DEFAULT '{litellm}'::text[] NOT NULL,
	"allowed_services" text[],
	"rpm_limit" integer,
	"tpm_limit" integer,
	"daily_budget_usd" numeric(18, 8),
	"monthly_budget_usd" numeric(18, 8),
	"allow_streaming" boolean DEFAULT false NOT NULL,
	"allow_tools" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "key_policies_rpm_positive" CHECK ("key_policies"."rpm_limit" is null or "key_policies"."rpm_limit" > 0),
	CONSTRAINT "key_policies_tpm_positive" CHECK ("key_policies"."tpm_limit" is null or "key_policies"."tpm_limit" > 0),
	CONSTRAINT "key_policies_daily_budget_nonnegative" CHECK ("key_policies"."daily_budget_usd" is null or "key_policies"."daily_budget_usd" >= 0),
	CONSTRAINT "key_policies_monthly_budget_nonnegative" CHECK ("key_policies"."monthly_budget_usd" is null or "key_policies"."monthly_budget_usd" >= 0)
);
--> statement-breakpoint
CREATE TABLE "key_service_links" (
	"key_id" uuid NOT NULL,
	"service_name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "key_service_links_key_id_service_name_pk" PRIMARY KEY("key_id","service_name")
);
--> statement-breakpoint
CREATE TABLE "openai_route_settings" (
	"route_id" text PRIMARY KEY NOT NULL,
	"path" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "openai_route_settings_route_id_valid" CHECK ("openai_route_settings"."route_id" in ('chat-completions', 'responses', 'embeddings'))
);
--> statement-breakpoint
CREATE TABLE "operator_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token_prefix" text NOT NULL,
	"token_digest" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "operator_tokens_token_prefix_valid" CHECK ("operator_tokens"."token_prefix" ~ '^op_live_[0-9a-f]{8}$'),
	CONSTRAINT "operator_tokens_token_digest_valid" CHECK ("operator_tokens"."token_digest" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "project_service_links" (
	"project_id" uuid NOT NULL,
	"service_name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "project_service_links_project_id_service_name_pk" PRIMARY KEY("project_id","service_name")
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "projects_name_valid" CHECK ("projects"."name" = btrim("projects"."name") and char_length("projects"."name") between 1 and 128)
);
--> statement-breakpoint
CREATE TABLE "provider_configs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"base_url" text NOT NULL,
	"credential" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "provider_configs_kind_valid" CHECK ("provider_configs"."kind" in ('litellm', 'internal-service')),
	CONSTRAINT "provider_configs_name_valid" CHECK (char_length("provider_configs"."name") between 1 and 128),
	CONSTRAINT "provider_configs_base_url_valid" CHECK ("base_url" ~ '^https?://[^/\s]+')
);
--> statement-breakpoint
CREATE TABLE "service_registrations" (
	"name" text PRIMARY KEY NOT NULL,
	"display_name" text,
	"project_id" uuid,
	"studio_service_id" text,
	"route_pattern" text NOT NULL,
	"upstream_base_url" text,
	"enabled" boolean DEFAULT false NOT NULL,
	"allowed_methods" text[] DEFAULT '{POST}'::text[] NOT NULL,
	"credential" text,
	"timeout_ms" integer DEFAULT 60000 NOT NULL,
	"max_body_bytes" integer DEFAULT 2097152 NOT NULL,
	"cost_mode" text DEFAULT 'none' NOT NULL,
	"estimated_cost_usd" numeric(18, 8),
	"fallback_services" text[] DEFAULT '{}'::text[] NOT NULL,
	"source" text DEFAULT 'gateway' NOT NULL,
	"sync_status" text DEFAULT 'local' NOT NULL,
	"last_synced_at" timestamp with time zone,
	"missing_runtime_fields" text[] DEFAULT '{}'::text[] NOT NULL,
	"studio_metadata" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "service_registrations_name_valid" CHECK ("name" ~ '^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$'),
	CONSTRAINT "service_registrations_route_pattern_valid" CHECK (left("service_registrations"."route_pattern", 1) = '/' and position('//' in "service_registrations"."route_pattern") = 0),
	CONSTRAINT "service_registrations_upstream_url_valid" CHECK ("upstream_base_url" is null or "upstream_base_url" ~ '^https?://[^/\s]+'),
	CONSTRAINT "service_registrations_methods_valid" CHECK (cardinality("service_registrations"."allowed_methods") > 0 and "service_registrations"."allowed_methods" <@ '{GET,POST,PUT,PATCH,DELETE}'::text[]),
	CONSTRAINT "service_registrations_timeout_range" CHECK ("service_registrations"."timeout_ms" between 1 and 600000),
	CONSTRAINT "service_registrations_max_body_range" CHECK ("service_registrations"."max_body_bytes" between 1 and 104857600),
	CONSTRAINT "service_registrations_cost_mode_valid" CHECK ("service_registrations"."cost_mode" in ('none', 'fixed', 'passthrough')),
	CONSTRAINT "service_registrations_fixed_cost_estimate" CHECK ("service_registrations"."cost_mode" <> 'fixed' or "service_registrations"."estimated_cost_usd" is not null),
	CONSTRAINT "service_registrations_estimate_nonnegative" CHECK ("service_registrations"."estimated_cost_usd" is null or "service_registrations"."estimated_cost_usd" >= 0),
	CONSTRAINT "service_registrations_source_valid" CHECK ("service_registrations"."source" in ('gateway', 'studio')),
	CONSTRAINT "service_registrations_sync_status_valid" CHECK ("service_registrations"."sync_status" in ('local', 'synced', 'incomplete', 'stale', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "studio_connection_settings" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"base_url" text,
	"token" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "studio_connection_settings_singleton" CHECK ("studio_connection_settings"."id" = 1),
	CONSTRAINT "studio_connection_settings_base_url_valid" CHECK ("base_url" is null or "base_url" ~ '^https?://[^/\s]+'),
	CONSTRAINT "studio_connection_settings_token_not_blank" CHECK ("studio_connection_settings"."token" is null or btrim("studio_connection_settings"."token") <> '')
);
--> statement-breakpoint
CREATE TABLE "usage_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "usage_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"request_id" text NOT NULL,
	"key_id" uuid,
	"project_id" uuid,
	"route" text NOT NULL,
	"model" text,
	"provider" text,
	"service_name" text,
	"task_id" text,
	"run_id" text,
	"status" text NOT NULL,
	"status_code" integer NOT NULL,
	"error_code" text,
	"stream" boolean DEFAULT false NOT NULL,
	"latency_ms" integer DEFAULT 0 NOT NULL,
	"first_token_ms" integer,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"total_tokens" integer DEFAULT 0 NOT NULL,
	"estimated_cost_usd" numeric(18, 8) DEFAULT 0 NOT NULL,
	"fallback_count" smallint DEFAULT 0 NOT NULL,
	"guardrails" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_events_status_valid" CHECK ("usage_events"."status" in ('success', 'failure')),
	CONSTRAINT "usage_events_counts_nonnegative" CHECK ("usage_events"."input_tokens" >= 0 and "usage_events"."output_tokens" >= 0 and "usage_events"."total_tokens" >= 0 and "usage_events"."latency_ms" >= 0),
	CONSTRAINT "usage_events_cost_nonnegative" CHECK ("usage_events"."estimated_cost_usd" >= 0)
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_guardrail_policies" ADD CONSTRAINT "key_guardrail_policies_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_policies" ADD CONSTRAINT "key_policies_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_service_links" ADD CONSTRAINT "key_service_links_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_service_links" ADD CONSTRAINT "key_service_links_service_name_service_registrations_name_fk" FOREIGN KEY ("service_name") REFERENCES "public"."service_registrations"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_service_links" ADD CONSTRAINT "project_service_links_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_service_links" ADD CONSTRAINT "project_service_links_service_name_service_registrations_name_fk" FOREIGN KEY ("service_name") REFERENCES "public"."service_registrations"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_registrations" ADD CONSTRAINT "service_registrations_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_key_digest_key" ON "api_keys" USING btree ("key_digest");--> statement-breakpoint
CREATE INDEX "api_keys_key_prefix_idx" ON "api_keys" USING btree ("key_prefix");--> statement-breakpoint
CREATE INDEX "api_keys_project_id_idx" ON "api_keys" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "guardrail_execution_events_created_idx" ON "guardrail_execution_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "guardrail_execution_events_name_created_idx" ON "guardrail_execution_events" USING btree ("guardrail_name","created_at");--> statement-breakpoint
CREATE INDEX "guardrail_execution_events_key_created_idx" ON "guardrail_execution_events" USING btree ("key_id","created_at");--> statement-breakpoint
CREATE INDEX "key_service_links_service_idx" ON "key_service_links" USING btree ("service_name");--> statement-breakpoint
CREATE UNIQUE INDEX "operator_tokens_token_digest_key" ON "operator_tokens" USING btree ("token_digest");--> statement-breakpoint
CREATE INDEX "operator_tokens_token_prefix_idx" ON "operator_tokens" USING btree ("token_prefix");--> statement-breakpoint
CREATE UNIQUE INDEX "operator_tokens_one_active" ON "operator_tokens" USING btree ((true)) WHERE "operator_tokens"."revoked_at" is null;--> statement-breakpoint
CREATE INDEX "project_service_links_service_idx" ON "project_service_links" USING btree ("service_name");--> statement-breakpoint
CREATE UNIQUE INDEX "projects_name_key" ON "projects" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "provider_configs_name_key" ON "provider_configs" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "provider_configs_one_enabled_litellm" ON "provider_configs" USING btree ("kind") WHERE "provider_configs"."kind" = 'litellm' and "provider_configs"."enabled";--> statement-breakpoint
CREATE UNIQUE INDEX "service_registrations_studio_service_id_key" ON "service_registrations" USING btree ("studio_service_id");--> statement-breakpoint
CREATE UNIQUE INDEX "service_registrations_route_pattern_key" ON "service_registrations" USING btree ("route_pattern");--> statement-breakpoint
CREATE INDEX "usage_events_created_at_idx" ON "usage_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "usage_events_key_created_idx" ON "usage_events" USING btree ("key_id","created_at");--> statement-breakpoint
CREATE INDEX "usage_events_project_created_idx" ON "usage_events" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE INDEX "usage_events_service_created_idx" ON "usage_events" USING btree ("service_name","created_at");--> statement-breakpoint
CREATE INDEX "usage_events_model_created_idx" ON "usage_events" USING btree ("model","created_at");--> statement-breakpoint
CREATE INDEX "usage_events_provider_created_idx" ON "usage_events" USING btree ("provider","created_at");--> statement-breakpoint
CREATE INDEX "usage_events_task_created_idx" ON "usage_events" USING btree ("task_id","created_at");--> statement-breakpoint
CREATE INDEX "usage_events_request_id_idx" ON "usage_events" USING btree ("request_id");