-- Seeds owned by the migrations: the three AI routes (enabled) and the built-in pii-redact guardrail
-- (enabled, not default-on, all three modes, fail_closed, restore_output on).
INSERT INTO "openai_route_settings" ("route_id", "path", "enabled") VALUES
  ('chat-completions', '/v1/chat/completions', true),
  ('responses', '/v1/responses', true),
  ('embeddings', '/v1/embeddings', true)
ON CONFLICT ("route_id") DO NOTHING;
--> statement-breakpoint
INSERT INTO "guardrail_definitions"
  ("name", "description", "provider_kind", "modes", "failure_policy", "enabled", "default_on", "config_schema", "runtime_config")
VALUES (
  'pii-redact',
  'Redacts emails, phone numbers and US SSNs from requests into request-local placeholders and restores echoed placeholders in responses.',
  'built_in',
  '{pre_call,post_call,during_call}',
  'fail_closed',
  true,
  false,
  '{"type":"object","properties":{"restore_output":{"type":"boolean","default":true,"description":"Put original values back where the model echoes a placeholder."}},"additionalProperties":false}',
  '{"restore_output": true}'
)
ON CONFLICT ("name") DO NOTHING;
