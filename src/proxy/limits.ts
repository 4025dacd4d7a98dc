import { estimateTokens, priceOf, toMicroUsd, type ModelPrice } from "../core/cost.ts";
import type { DenyReason } from "../core/limits.ts";
import type { ErrorCode } from "../http/error-codes.ts";
import { GatewayError } from "../http/errors.ts";
import { isStoreUnavailable } from "../http/store-errors.ts";
import type { CountersStore } from "../store/counters/types.ts";
import type { Exchange } from "./exchange.ts";

const DENIALS: Record<DenyReason, ErrorCode> = {
  rpm: "rate_limit_exceeded",
  tpm: "token_rate_limit_exceeded",
  daily_budget: "budget_exceeded",
  monthly_budget: "budget_exceeded",
};

const MESSAGES: Record<DenyReason, string> = {
  rpm: "Requests-per-minute limit exceeded.",
  tpm: "Tokens-per-minute limit exceeded.",
  daily_budget: "The key's daily USD budget is exhausted.",
  monthly_budget: "The key's monthly USD budget is exhausted.",
};

/**
 * Rate limits and budget reservation (contract 5), after policy and before the upstream:
 * every limit of the key in one atomic call (one Redis round trip). A key without limits never
 * touches the counters, so it keeps working while Redis is down; a key with limits fails closed
 * (503 control_state_unavailable). The reservation rides on the exchange, which settles or
 * releases it when the request ends.
 */
export async function reserveLimits(
  deps: { counters: CountersStore; seedKey: (keyId: string) => Promise<void> },
  exchange: Exchange,
  request: { bodyBytes: number; maxTokens: number | null; price: ModelPrice | null },
): Promise<void> {
  const { policy, id: keyId } = exchange.ctx.key;
  const tokens = estimateTokens(request.bodyBytes, request.maxTokens);
  exchange.estimatedTokens = tokens.input + tokens.output;
  if (request.price) exchange.estimateUsd = priceOf(request.price, tokens.input, tokens.output);
  const limited =
    policy.rpmLimit !== null || policy.tpmLimit !== null || policy.dailyBudgetUsd !== null || policy.monthlyBudgetUsd !== null;
  if (!limited) return;
  const budgeted = policy.dailyBudgetUsd !== null || policy.monthlyBudgetUsd !== null;
  const admit = () =>
    deps.counters.admit({
      keyId,
      reservationId: crypto.randomUUID(),
      rpmLimit: policy.rpmLimit,
      tpmLimit: policy.tpmLimit,
      estimatedTokens: exchange.estimatedTokens,
      dailyBudgetMicroUsd: policy.dailyBudgetUsd === null ? null : toMicroUsd(policy.dailyBudgetUsd),
      monthlyBudgetMicroUsd: policy.monthlyBudgetUsd === null ? null : toMicroUsd(policy.monthlyBudgetUsd),
      estimatedCostMicroUsd: toMicroUsd(exchange.estimateUsd),
      nowMs: Date.now(),
      requireSeeded: budgeted,
    });
  const unavailable = (err: unknown): never => {
    // The ledger query of a rebuild failing is the database's outage (store_unavailable).
    if (isStoreUnavailable(err)) throw err;
    throw new GatewayError("control_state_unavailable", { cause: err });
  };
  let verdict = await admit().catch(unavailable);
  if (!verdict.ok && verdict.reason === "unseeded") {
    // Rebuild this key's budget counters from the ledger (see spend-rebuild.ts), then ask again.
    await deps.seedKey(keyId).catch(unavailable);
    verdict = await admit().catch(unavailable);
  }
  if (!verdict.ok && verdict.reason === "unseeded") throw new GatewayError("control_state_unavailable");
  if (!verdict.ok) {
    throw new GatewayError(DENIALS[verdict.reason], {
      message: MESSAGES[verdict.reason],
      retryAfterSeconds: verdict.retryAfterMs / 1000,
    });
  }
  exchange.reservation = verdict.reservation;
}
