import type { Registry } from "prom-client";
import { fastCounter, fastGauge, fastHistogram } from "../http/fast-metrics.ts";

/**
 * Gateway metrics of the data plane (contract 9). Labels are bounded: route ids, providers,
 * status classes, gateway error codes. Recorders bind label children once (fast-metrics.ts).
 */
export interface ProxyMetrics {
  request(route: string, provider: string, statusCode: number): void;
  error(route: string, code: string): void;
  tokens(route: string, provider: string, input: number, output: number): void;
  cost(route: string, provider: string, usd: number): void;
  streamStarted(route: string): void;
  streamEnded(route: string, abortReason: string | null): void;
  timeToFirstToken(route: string, provider: string, seconds: number): void;
  upstreamLatency(route: string, provider: string, seconds: number): void;
}

export function createProxyMetrics(registry: Registry): ProxyMetrics {
  const requests = fastCounter({
    name: "relayna_proxy_requests_total",
    help: "Authenticated proxied requests by route, provider and status class.",
    labelNames: ["route", "provider", "status_class"],
    registry,
  });
  const errors = fastCounter({
    name: "relayna_proxy_errors_total",
    help: "Proxied requests that failed, by route and gateway error code (or upstream_status / client_aborted).",
    labelNames: ["route", "code"],
    registry,
  });
  const tokens = fastCounter({
    name: "relayna_tokens_total",
    help: "Tokens reported by upstreams.",
    labelNames: ["route", "provider", "direction"],
    registry,
  });
  const cost = fastCounter({
    name: "relayna_estimated_cost_usd_total",
    help: "Estimated or reported USD cost recorded in the usage ledger.",
    labelNames: ["route", "provider"],
    registry,
  });
  const activeStreams = fastGauge({
    name: "relayna_active_streams",
    help: "Streamed responses currently being relayed.",
    labelNames: ["route"],
    registry,
  });
  const aborts = fastCounter({
    name: "relayna_stream_aborts_total",
    help: "Streams that ended early: client_aborted or upstream_error.",
    labelNames: ["route", "reason"],
    registry,
  });
  const ttft = fastHistogram({
    name: "relayna_time_to_first_token_seconds",
    help: "Time from request start to the first generated token of a stream.",
    labelNames: ["route", "provider"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registry,
  });
  const upstream = fastHistogram({
    name: "relayna_upstream_latency_seconds",
    help: "Time from sending the upstream request to its response headers.",
    labelNames: ["route", "provider"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registry,
  });
  const STATUS_CLASSES = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"];
  return {
    request: (route, provider, statusCode) => requests(route, provider, STATUS_CLASSES[Math.floor(statusCode / 100)] ?? "5xx").inc(),
    error: (route, code) => errors(route, code).inc(),
    tokens(route, provider, input, output) {
      if (input > 0) tokens(route, provider, "input").inc(input);
      if (output > 0) tokens(route, provider, "output").inc(output);
    },
    cost: (route, provider, usd) => cost(route, provider).inc(usd),
    streamStarted: (route) => activeStreams(route).inc(),
    streamEnded(route, abortReason) {
      activeStreams(route).dec();
      if (abortReason) aborts(route, abortReason).inc();
    },
    timeToFirstToken: (route, provider, seconds) => ttft(route, provider).observe(seconds),
    upstreamLatency: (route, provider, seconds) => upstream(route, provider).observe(seconds),
  };
}
