DROP INDEX "usage_events_request_id_idx";--> statement-breakpoint
DROP INDEX "usage_events_project_created_idx";--> statement-breakpoint
DROP INDEX "usage_events_service_created_idx";--> statement-breakpoint
DROP INDEX "usage_events_task_created_idx";--> statement-breakpoint
CREATE INDEX "usage_events_project_created_idx" ON "usage_events" USING btree ("project_id","created_at") WHERE "usage_events"."project_id" is not null;--> statement-breakpoint
CREATE INDEX "usage_events_service_created_idx" ON "usage_events" USING btree ("service_name","created_at") WHERE "usage_events"."service_name" is not null;--> statement-breakpoint
CREATE INDEX "usage_events_task_created_idx" ON "usage_events" USING btree ("task_id","created_at") WHERE "usage_events"."task_id" is not null;