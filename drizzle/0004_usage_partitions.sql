-- usage_events becomes range-partitioned by month on created_at (UTC months), so old months are
-- dropped whole (store/usage-partitions.ts) instead of deleted row by row. drizzle-kit cannot
-- express partitioning: the snapshot records only the new primary key (id, created_at), which
-- PostgreSQL requires to hold the partition key. Steps: move the old table and its identity
-- sequence aside, create the partitioned table (same columns, defaults and checks), one partition
-- per month holding rows plus the current and next 2 months and a DEFAULT partition, copy the
-- rows with their ids, drop the old table, continue the identity, then build the indexes.
ALTER TABLE "usage_events" RENAME TO "usage_events_unpartitioned";--> statement-breakpoint
ALTER SEQUENCE "usage_events_id_seq" RENAME TO "usage_events_unpartitioned_id_seq";--> statement-breakpoint
CREATE TABLE "usage_events" (
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "usage_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
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
	CONSTRAINT "usage_events_id_created_at_pk" PRIMARY KEY("id","created_at"),
	CONSTRAINT "usage_events_status_valid" CHECK ("usage_events"."status" in ('success', 'failure')),
	CONSTRAINT "usage_events_counts_nonnegative" CHECK ("usage_events"."input_tokens" >= 0 and "usage_events"."output_tokens" >= 0 and "usage_events"."total_tokens" >= 0 and "usage_events"."latency_ms" >= 0),
	CONSTRAINT "usage_events_cost_nonnegative" CHECK ("usage_events"."estimated_cost_usd" >= 0)
) PARTITION BY RANGE ("created_at");--> statement-breakpoint
-- Months that hold rows, plus the current one and the next 2 (the maintenance task keeps that
-- horizon). Bounds are UTC midnights written with their offset, whatever the session time zone.
DO $$
DECLARE
	m timestamp;
BEGIN
	FOR m IN
		SELECT date_trunc('month', "created_at" AT TIME ZONE 'UTC') FROM "usage_events_unpartitioned"
		UNION
		SELECT generate_series(date_trunc('month', now() AT TIME ZONE 'UTC'),
			date_trunc('month', now() AT TIME ZONE 'UTC') + interval '2 months', interval '1 month')
	LOOP
		EXECUTE format('CREATE TABLE %I PARTITION OF "usage_events" FOR VALUES FROM (%L) TO (%L)',
			'usage_events_' || to_char(m, '"y"YYYY"m"MM'),
			to_char(m, 'YYYY-MM-DD') || ' 00:00:00+00',
			to_char(m + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00');
	END LOOP;
END $$;--> statement-breakpoint
-- An insert never fails for lack of a partition; the maintenance task moves these rows out.
CREATE TABLE "usage_events_default" PARTITION OF "usage_events" DEFAULT;--> statement-breakpoint
INSERT INTO "usage_events" ("id", "request_id", "key_id", "project_id", "route", "model", "provider", "service_name", "task_id", "run_id", "status", "status_code", "error_code", "stream", "latency_ms", "first_token_ms", "input_tokens", "output_tokens", "total_tokens", "estimated_cost_usd", "fallback_count", "guardrails", "created_at")
OVERRIDING SYSTEM VALUE
SELECT "id", "request_id", "key_id", "project_id", "route", "model", "provider", "service_name", "task_id", "run_id", "status", "status_code", "error_code", "stream", "latency_ms", "first_token_ms", "input_tokens", "output_tokens", "total_tokens", "estimated_cost_usd", "fallback_count", "guardrails", "created_at"
FROM "usage_events_unpartitioned";--> statement-breakpoint
-- New ids continue after the old sequence (which may be past max(id): rolled-back inserts).
SELECT setval(pg_get_serial_sequence('"usage_events"', 'id'), greatest(
	(SELECT coalesce(max("id"), 0) FROM "usage_events"),
	(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM "usage_events_unpartitioned_id_seq")
) + 1, false);--> statement-breakpoint
DROP TABLE "usage_events_unpartitioned";--> statement-breakpoint
-- Built after the copy; an index on the partitioned table is created on every partition.
CREATE INDEX "usage_events_created_at_idx" ON "usage_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "usage_events_key_created_idx" ON "usage_events" USING btree ("key_id","created_at");--> statement-breakpoint
CREATE INDEX "usage_events_project_created_idx" ON "usage_events" USING btree ("project_id","created_at") WHERE "usage_events"."project_id" is not null;--> statement-breakpoint
CREATE INDEX "usage_events_service_created_idx" ON "usage_events" USING btree ("service_name","created_at") WHERE "usage_events"."service_name" is not null;--> statement-breakpoint
CREATE INDEX "usage_events_model_created_idx" ON "usage_events" USING btree ("model","created_at");--> statement-breakpoint
CREATE INDEX "usage_events_provider_created_idx" ON "usage_events" USING btree ("provider","created_at");--> statement-breakpoint
CREATE INDEX "usage_events_task_created_idx" ON "usage_events" USING btree ("task_id","created_at") WHERE "usage_events"."task_id" is not null;
