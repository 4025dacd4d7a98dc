-- Time-first primary keys: (created_at, id) serves uniqueness, time windows and the
-- (created_at, id) page order, so the separate created_at indexes go. One btree fewer on every
-- usage row and every guardrail execution event.
ALTER TABLE "usage_events" DROP CONSTRAINT "usage_events_id_created_at_pk";--> statement-breakpoint
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_created_at_id_pk" PRIMARY KEY("created_at","id");--> statement-breakpoint
DROP INDEX "usage_events_created_at_idx";--> statement-breakpoint
ALTER TABLE "guardrail_execution_events" DROP CONSTRAINT "guardrail_execution_events_pkey";--> statement-breakpoint
ALTER TABLE "guardrail_execution_events" ADD CONSTRAINT "guardrail_execution_events_created_at_id_pk" PRIMARY KEY("created_at","id");--> statement-breakpoint
DROP INDEX "guardrail_execution_events_created_idx";
