import type { ProxyApp } from "../http/app.ts";
import type { Logger } from "pino";
import type { UpstreamConfig } from "../config/config.ts";
import type { HttpMetrics } from "../http/metrics.ts";
import type { KeyCache } from "../store/cache/key-cache.ts";
import type { RuntimeConfig } from "../store/cache/runtime-config.ts";
import type { GuardrailMetrics } from "../guardrails/metrics.ts";
import type { CountersStore } from "../store/counters/types.ts";
import type { GuardrailEventWriter } from "../store/guardrail-events.ts";
import type { UsageLedger } from "../store/usage-ledger.ts";
import type { ProxyMetrics } from "./metrics.ts";

export interface ProxyDeps {
  logger: Logger;
  metrics: HttpMetrics;
  proxyMetrics: ProxyMetrics;
  cache: { keys: KeyCache; runtime: RuntimeConfig };
  ledger: UsageLedger;
  /** Rate-limit and budget counters (Redis, or in memory in embedded mode). */
  counters: CountersStore;
  /** Guardrail execution events (batched, off the request path) and metrics. */
  guardrailEvents: GuardrailEventWriter;
  guardrailMetrics: GuardrailMetrics;
  /** Rebuilds one key's budget counters from the usage ledger (when the counters ask for it). */
  seedKey: (keyId: string) => Promise<void>;
  directOpenai: UpstreamConfig | null;
  workerToken: string | null;
  /** Replaces every AI route's default upstream timeout when set. */
  upstreamTimeoutMs: number | null;
  /** n random bytes (trace ids). */
  random: (size: number) => Uint8Array;
  /** Extra routes (with the proxy's plumbing) before the AI routes; used by tests that need a slow route. */
  extraRoutes?: (proxy: ProxyApp) => void;
}
