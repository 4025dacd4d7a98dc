/** Built-in `pii-redact`: detection, the request-local vault, and its text, JSON and stream treatments. */
export { detectPii, MAX_EMAIL_LENGTH, PII_CATEGORIES, type PiiCategory, type PiiSpan } from "./detect.ts";
export { PiiVault, type PiiCounts, type PiiSource } from "./placeholders.ts";
export { redactJson, redactText, restoreJson, restoreText, type RestoreOptions } from "./redact.ts";
export { createRedactorTransform, createStreamRedactor, MAX_HOLD_BACK, type StreamRedactor } from "./stream.ts";
