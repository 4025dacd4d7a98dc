/** OpenAI SDK error classes, so official SDKs surface our errors properly. */
export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "api_error";

export interface ErrorSpec {
  status: number;
  type: ErrorType;
  /** Fixed per code: never echoes secrets, bodies or exception text. */
  message: string;
}

const spec = (status: number, type: ErrorType, message: string): ErrorSpec => ({ status, type, message });

/** Contract section 3: every error the gateway itself produces. */
export const ERROR_CODES = {
  missing_authorization: spec(401, "authentication_error", "Authorization header with a Bearer credential is required."),
  malformed_authorization: spec(401, "authentication_error", "Authorization header is not a well-formed Bearer credential."),
  invalid_virtual_key: spec(401, "authentication_error", "The virtual key is not valid."),
  disabled_virtual_key: spec(401, "authentication_error", "The virtual key is disabled."),
  revoked_virtual_key: spec(401, "authentication_error", "The virtual key has been revoked."),
  expired_virtual_key: spec(401, "authentication_error", "The virtual key has expired."),
  invalid_operator_token: spec(401, "authentication_error", "The operator token is not valid."),
  disabled_operator_token: spec(401, "authentication_error", "The operator token has been rotated or disabled."),
  unsupported_route: spec(404, "not_found_error", "No route matches this method and path."),
  disabled_route: spec(403, "permission_error", "This route is disabled."),
  policy_denied: spec(403, "permission_error", "The key's policy denies this request."),
  request_body_too_large: spec(413, "invalid_request_error", "The request body is larger than this route allows."),
  invalid_request_body: spec(400, "invalid_request_error", "The request body must be a JSON object."),
  rate_limit_exceeded: spec(429, "rate_limit_error", "Requests-per-minute limit exceeded."),
  token_rate_limit_exceeded: spec(429, "rate_limit_error", "Tokens-per-minute limit exceeded."),
  budget_exceeded: spec(402, "rate_limit_error", "The key's USD budget is exhausted."),
  guardrail_blocked: spec(403, "permission_error", "A guardrail blocked this request."),
  guardrail_forbidden: spec(403, "permission_error", "A requested guardrail is forbidden or not optional for this key."),
  guardrail_unavailable: spec(502, "api_error", "A required guardrail could not run."),
  invalid_guardrail_request: spec(400, "invalid_request_error", "The guardrails field of the request is invalid."),
  upstream_timeout: spec(504, "api_error", "The upstream did not answer in time."),
  upstream_connection: spec(502, "api_error", "The upstream could not be reached."),
  upstream_not_configured: spec(503, "api_error", "The upstream for this route is not configured."),
  missing_service: spec(404, "not_found_error", "No such service."),
  disabled_service: spec(403, "permission_error", "The service is disabled."),
  incomplete_service: spec(409, "invalid_request_error", "The service is missing its upstream or credential."),
  duplicate_project: spec(409, "invalid_request_error", "A project with this name already exists."),
  missing_project: spec(404, "not_found_error", "No such project."),
  project_in_use: spec(409, "invalid_request_error", "The project still has keys or services."),
  invalid_project_payload: spec(400, "invalid_request_error", "The project payload is invalid."),
  duplicate_service: spec(409, "invalid_request_error", "A service with this name, route or Studio id already exists."),
  invalid_service_payload: spec(400, "invalid_request_error", "The service payload is invalid."),
  invalid_service_upstream: spec(400, "invalid_request_error", "The service upstream URL is invalid."),
  duplicate_provider_config: spec(409, "invalid_request_error", "A conflicting provider configuration already exists."),
  missing_provider_config: spec(404, "not_found_error", "No such provider configuration."),
  invalid_provider_config_payload: spec(400, "invalid_request_error", "The provider configuration payload is invalid."),
  invalid_admin_payload: spec(400, "invalid_request_error", "The request payload is invalid."),
  not_found: spec(404, "not_found_error", "No such resource."),
  studio_unavailable: spec(502, "api_error", "Relayna Studio could not be reached or answered unexpectedly."),
  studio_not_configured: spec(409, "invalid_request_error", "No Relayna Studio base URL is configured."),
  invalid_studio_connection_payload: spec(400, "invalid_request_error", "The Studio connection payload is invalid."),
  control_state_unavailable: spec(503, "api_error", "Limit state is unavailable; try again shortly."),
  store_unavailable: spec(503, "api_error", "The gateway's database is unavailable; try again shortly."),
  internal_error: spec(500, "api_error", "The gateway hit an unexpected error."),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
