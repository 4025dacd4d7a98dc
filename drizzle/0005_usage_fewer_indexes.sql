DROP INDEX "usage_events_model_created_idx";--> statement-breakpoint
DROP INDEX "usage_events_provider_created_idx";