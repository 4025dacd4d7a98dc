import type { RouteId } from "../core/policy.ts";
import type { UsageFacts } from "../core/response-usage.ts";
import type { UsageLedger } from "../store/usage-ledger.ts";
import type { KeyRecord } from "../store/repos/key-records.ts";
import type { ProxyMetrics } from "./metrics.ts";

export interface ExchangeOutcome {
  statusCode: number;
  /** Gateway error code, `client_aborted`, `upstream_stream_error`, or null for an upstream answer. */
  errorCode: string | null;
  usage?: UsageFacts | null;
  firstTokenMs?: number | null;
  /** Defaults to the reported cost, else 0 for failures and the route estimate for successes. */
  costUsd?: number;
}

/**
 * One authenticated proxied request: accumulates what the usage ledger needs and writes
 * exactly one row when it ends, whatever way it ends (contract 5).
 */
export class Exchange {
  model: string | null = null;
  provider = "litellm";
  serviceName: string | null = null;
  stream = false;
  fallbackCount = 0;
  estimateUsd = 0;
  private finished = false;

  constructor(
    readonly requestId: string,
    readonly key: KeyRecord,
    readonly route: RouteId,
    readonly worker: { taskId: string | null; runId: string | null },
    private readonly startedAt: number,
    private readonly ledger: UsageLedger,
    private readonly metrics: ProxyMetrics,
  ) {}

  finish(outcome: ExchangeOutcome): void {
    if (this.finished) return;
    this.finished = true;
    const success = outcome.errorCode === null && outcome.statusCode < 400;
    const usage = outcome.usage ?? null;
    const cost = outcome.costUsd ?? usage?.costUsd ?? (success ? this.estimateUsd : 0);
    this.metrics.request(this.route, this.provider, outcome.statusCode);
    if (!success) this.metrics.error(this.route, outcome.errorCode ?? "upstream_status");
    if (usage) this.metrics.tokens(this.route, this.provider, usage.inputTokens, usage.outputTokens);
    if (cost > 0) this.metrics.cost(this.route, this.provider, cost);
    this.ledger.record({
      requestId: this.requestId,
      keyId: this.key.id,
      projectId: this.key.projectId,
      route: this.route,
      model: this.model,
      provider: this.provider,
      serviceName: this.serviceName,
      taskId: this.worker.taskId,
      runId: this.worker.runId,
      status: success ? "success" : "failure",
      statusCode: outcome.statusCode,
      errorCode: outcome.errorCode,
      stream: this.stream,
      latencyMs: Math.max(0, Math.round(performance.now() - this.startedAt)),
      firstTokenMs: outcome.firstTokenMs == null ? null : Math.round(outcome.firstTokenMs),
      inputTokens: usage?.inputTokens ?? 0,
      outputTokens: usage?.outputTokens ?? 0,
      totalTokens: usage?.totalTokens ?? 0,
      estimatedCostUsd: cost,
      fallbackCount: this.fallbackCount,
    });
  }
}
