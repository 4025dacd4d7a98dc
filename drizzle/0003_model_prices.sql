CREATE TABLE "model_prices" (
	"model" text PRIMARY KEY NOT NULL,
	"input_usd_per_million" numeric(18, 8) NOT NULL,
	"output_usd_per_million" numeric(18, 8) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_prices_model_valid" CHECK (char_length("model_prices"."model") between 1 and 200),
	CONSTRAINT "model_prices_nonnegative" CHECK ("model_prices"."input_usd_per_million" >= 0 and "model_prices"."output_usd_per_million" >= 0)
);
