/** Operator-set price of a model, USD per million tokens. */
export interface ModelPrice {
  inputUsdPerMillion: number;
  outputUsdPerMillion: number;
}

/**
 * Output tokens assumed for a request that sets no `max_tokens`: the TPM and budget estimate
 * before the call (reconciled with the real count after it).
 */
export const DEFAULT_OUTPUT_TOKENS = 512;
/** About four bytes of JSON per token: a cheap, slightly generous stand-in for tokenising. */
const BYTES_PER_TOKEN = 4;

export interface TokenEstimate {
  input: number;
  output: number;
}

/** Prompt size from the body length, plus `max_tokens` or the default. */
export function estimateTokens(bodyBytes: number, maxTokens: number | null): TokenEstimate {
  return { input: Math.ceil(bodyBytes / BYTES_PER_TOKEN), output: maxTokens ?? DEFAULT_OUTPUT_TOKENS };
}

export function priceOf(price: ModelPrice, input: number, output: number): number {
  return (input * price.inputUsdPerMillion + output * price.outputUsdPerMillion) / 1_000_000;
}

/** Integer micro-USD (counters) from USD, to the nearest micro-dollar. */
export function toMicroUsd(usd: number): number {
  return Math.max(0, Math.round(usd * 1_000_000));
}

/** USD rounded to the micro-dollar, so the ledger and the counters hold the same amount. */
export function roundUsd(usd: number): number {
  return toMicroUsd(usd) / 1_000_000;
}

/**
 * How a request is priced: `ai` (reported, else model price, else estimate) or a service's
 * cost mode: `fixed` always the estimate, `passthrough` the reported cost only, `none` nothing.
 */
export type CostMode = "ai" | "fixed" | "passthrough" | "none";

/**
 * Cost of a finished request (contract 5): the upstream's reported cost, else the model's price
 * applied to the real token counts, else the route's estimate; services per their cost mode.
 * Failures cost what the upstream reported, else nothing.
 */
export function resolveCost(options: {
  reportedUsd: number | null;
  price: ModelPrice | null;
  usage: { inputTokens: number; outputTokens: number } | null;
  estimateUsd: number;
  charged: boolean;
  mode?: CostMode;
}): number {
  const mode = options.mode ?? "ai";
  if (mode === "none") return 0;
  if (mode === "fixed") return options.charged ? roundUsd(options.estimateUsd) : 0;
  if (options.reportedUsd !== null) return roundUsd(options.reportedUsd);
  if (mode === "passthrough") return 0;
  if (!options.charged) return 0;
  if (options.price && options.usage) return roundUsd(priceOf(options.price, options.usage.inputTokens, options.usage.outputTokens));
  return roundUsd(options.estimateUsd);
}
