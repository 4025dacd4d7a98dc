import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Gateway metrics of the data plane (contract 9). Labels are bounded: route ids, providers, status classes. */
export interface ProxyMetrics {
  requests: Counter<"route" | "provider" | "status_class">;
  errors: Counter<"route" | "code">;
  tokens: Counter<"route" | "provider" | "direction">;
  costUsd: Counter<"route" | "provider">;
  activeStreams: Gauge<"route">;
  streamAborts: Counter<"route" | "reason">;
  timeToFirstToken: Histogram<"route" | "provider">;
  upstreamLatency: Histogram<"route" | "provider">;
}

export function createProxyMetrics(registry: Registry): ProxyMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: "relayna_proxy_requests_total",
      help: "Authenticated proxied requests by route, provider and status class.",
      labelNames: ["route", "provider", "status_class"],
      registers,
    }),
    errors: new Counter({
      name: "relayna_proxy_errors_total",
      help: "Proxied requests that failed, by route and gateway error code (or upstream_status / client_aborted).",
      labelNames: ["route", "code"],
      registers,
    }),
    tokens: new Counter({
      name: "relayna_tokens_total",
      help: "Tokens reported by upstreams.",
      labelNames: ["route", "provider", "direction"],
      registers,
    }),
    costUsd: new Counter({
      name: "relayna_estimated_cost_usd_total",
      help: "Estimated or reported USD cost recorded in the usage ledger.",
      labelNames: ["route", "provider"],
      registers,
    }),
    activeStreams: new Gauge({
      name: "relayna_active_streams",
      help: "Streamed responses currently being relayed.",
      labelNames: ["route"],
      registers,
    }),
    streamAborts: new Counter({
      name: "relayna_stream_aborts_total",
      help: "Streams that ended early: client_aborted or upstream_error.",
      labelNames: ["route", "reason"],
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: "relayna_time_to_first_token_seconds",
      help: "Time from request start to the first generated token of a stream.",
      labelNames: ["route", "provider"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    }),
    upstreamLatency: new Histogram({
      name: "relayna_upstream_latency_seconds",
      help: "Time from sending the upstream request to its response headers.",
      labelNames: ["route", "provider"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
  };
}
