import type { Logger } from "pino";
import { resolveCost, toMicroUsd, type CostMode, type ModelPrice } from "../core/cost.ts";
import type { RouteId } from "../core/policy.ts";
import type { UsageFacts } from "../core/response-usage.ts";
import type { CountersStore, Reservation } from "../store/counters/types.ts";
import type { KeyRecord } from "../store/repos/key-records.ts";
import type { UsageLedger } from "../store/usage-ledger.ts";
import type { ProxyMetrics } from "./metrics.ts";
import type { GuardrailMetrics } from "../guardrails/metrics.ts";
import type { GuardrailRun } from "../guardrails/run.ts";
import { eventRowsOf, type GuardrailEventWriter } from "../store/guardrail-events.ts";

export interface ExchangeOutcome {
  statusCode: number;
  /** Gateway error code, `client_aborted`, `upstream_stream_error`, or null for an upstream answer. */
  errorCode: string | null;
  usage?: UsageFacts | null;
  firstTokenMs?: number | null;
  /** What the upstream reported (header or body), if anything. */
  reportedCostUsd?: number | null;
}

export interface ExchangeContext {
  requestId: string;
  key: KeyRecord;
  route: RouteId;
  worker: { taskId: string | null; runId: string | null };
  startedAt: number;
  ledger: UsageLedger;
  metrics: ProxyMetrics;
  counters: CountersStore;
  logger: Logger;
  guardrailEvents: GuardrailEventWriter;
  guardrailMetrics: GuardrailMetrics;
}

/**
 * A stream that started and was cut still used the upstream: it is charged like a success. That
 * includes a during-call guardrail ending it (status 200, the error went out as an SSE event).
 */
const CUT_STREAM = new Set(["client_aborted", "upstream_stream_error", "guardrail_blocked", "guardrail_unavailable"]);

/**
 * One authenticated proxied request: accumulates what the usage ledger needs and writes
 * exactly one row when it ends, whatever way it ends (contract 5). A limits reservation taken
 * for it is settled with the same tokens and cost the row records, or released when nothing
 * was charged, so the counters and the ledger agree.
 */
export class Exchange {
  model: string | null = null;
  provider = "litellm";
  serviceName: string | null = null;
  stream = false;
  fallbackCount = 0;
  estimateUsd = 0;
  price: ModelPrice | null = null;
  costMode: CostMode = "ai";
  estimatedTokens = 0;
  reservation: Reservation | null = null;
  /** Names of the guardrails applied to this request (the ledger's guardrails column). */
  guardrails: string[] = [];
  /** Their runs (filled as they happen): execution events and metrics when the request ends. */
  guardrailRuns: GuardrailRun[] = [];
  private finished = false;

  constructor(readonly ctx: ExchangeContext) {}

  get route(): RouteId {
    return this.ctx.route;
  }

  finish(outcome: ExchangeOutcome): void {
    if (this.finished) return;
    this.finished = true;
    const { ctx } = this;
    const success = outcome.errorCode === null && outcome.statusCode < 400;
    const charged = success || (outcome.statusCode < 400 && CUT_STREAM.has(outcome.errorCode ?? ""));
    const usage = outcome.usage ?? null;
    const cost = resolveCost({
      reportedUsd: outcome.reportedCostUsd ?? usage?.costUsd ?? null,
      price: this.price,
      usage,
      estimateUsd: this.estimateUsd,
      charged,
      mode: this.costMode,
    });
    this.settle(charged || cost > 0, usage, cost);
    if (this.guardrailRuns.length > 0) {
      for (const run of this.guardrailRuns) ctx.guardrailMetrics.observe(run);
      ctx.guardrailEvents.record(eventRowsOf(this.guardrailRuns, { requestId: ctx.requestId, keyId: ctx.key.id, projectId: ctx.key.projectId }));
    }
    ctx.metrics.request(ctx.route, this.provider, outcome.statusCode);
    if (!success) ctx.metrics.error(ctx.route, outcome.errorCode ?? "upstream_status");
    if (usage) ctx.metrics.tokens(ctx.route, this.provider, usage.inputTokens, usage.outputTokens);
    if (cost > 0) ctx.metrics.cost(ctx.route, this.provider, cost);
    ctx.ledger.record({
      requestId: ctx.requestId,
      keyId: ctx.key.id,
      projectId: ctx.key.projectId,
      route: ctx.route,
      model: this.model,
      provider: this.provider,
      serviceName: this.serviceName,
      taskId: ctx.worker.taskId,
      runId: ctx.worker.runId,
      status: success ? "success" : "failure",
      statusCode: outcome.statusCode,
      errorCode: outcome.errorCode,
      stream: this.stream,
      latencyMs: Math.max(0, Math.round(performance.now() - ctx.startedAt)),
      firstTokenMs: outcome.firstTokenMs == null ? null : Math.round(outcome.firstTokenMs),
      inputTokens: usage?.inputTokens ?? 0,
      outputTokens: usage?.outputTokens ?? 0,
      totalTokens: usage?.totalTokens ?? 0,
      estimatedCostUsd: cost,
      fallbackCount: this.fallbackCount,
      guardrails: this.guardrails,
    });
  }

  /** Off the response path; a failure leaves the reservation to expire (1 h) and is logged. */
  private settle(charged: boolean, usage: UsageFacts | null, cost: number): void {
    const reservation = this.reservation;
    if (!reservation) return;
    const { counters, logger } = this.ctx;
    const now = Date.now();
    const done = charged
      ? counters.settle(reservation, { tokens: usage ? usage.totalTokens : this.estimatedTokens, costMicroUsd: toMicroUsd(cost) }, now)
      : counters.release(reservation, now);
    done.catch((err: Error) => logger.warn({ err: { message: err.message }, key_id: reservation.keyId }, "limit reservation not reconciled"));
  }
}
