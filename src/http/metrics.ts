import { prometheus } from "@hono/prometheus";
import type { Context, MiddlewareHandler } from "hono";
import { collectDefaultMetrics, Registry } from "prom-client";
import { fastCounter, fastHistogram } from "./fast-metrics.ts";

// Sub-millisecond resolution at the low end: the gateway's own overhead lives there.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export interface HttpMetrics {
  registry: Registry;
  /** Request count and latency histogram, labelled by listener and route pattern (bounded). */
  middleware: MiddlewareHandler;
  /**
   * The same two metrics for one proxy-listener request, called by the proxy's one middleware
   * (app.ts): the library's middleware hashes two label objects per request (~7% of a bare
   * proxy's throughput in a measurement, too much for the data plane).
   */
  observeProxy(method: string, route: string, status: number, seconds: number): void;
  render(): Promise<string>;
}

/**
 * One registry per gateway instance (tests run several in one process). Route labels are the
 * matched route pattern (`/admin/keys/:id`), never a raw path; unmatched requests share one
 * label, so a scanner cannot grow the series count.
 *
 * The control listener records with @hono/prometheus's middleware into a private registry; the
 * proxy listener records the same two families with bound fast children (fast-metrics.ts). The
 * families exposed on /metrics carry both: the proxy's series plus the middleware's.
 */
export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const control = new Registry();
  const listener = (c: Context) => (c.get("listener") as string | undefined) ?? "unknown";
  const { registerMetrics } = prometheus({
    registry: control,
    metricOptions: {
      requestsTotal: { customLabels: { listener } },
      // `buckets` is honoured at runtime but missing from the options type (an Omit over a union).
      requestDuration: { customLabels: { listener }, ...({ buckets: LATENCY_BUCKETS } as object) },
    },
  });
  // The labels @hono/prometheus gives both metrics, in its order.
  const labelNames = ["method", "status", "ok", "route", "listener"];
  const fromControl = (name: string) => async () => (await control.getSingleMetric(name)?.get())?.values ?? [];
  const requests = fastCounter({
    name: "http_requests_total",
    help: "Total number of HTTP requests",
    labelNames,
    registry,
    merge: fromControl("http_requests_total"),
  });
  const durations = fastHistogram({
    name: "http_request_duration_seconds",
    help: "Duration of HTTP requests in seconds",
    labelNames,
    buckets: LATENCY_BUCKETS,
    registry,
    merge: fromControl("http_request_duration_seconds"),
  });
  const observeProxy = (method: string, route: string, status: number, seconds: number) => {
    const labels = [method, String(status), String(status >= 200 && status < 300), route, "proxy"];
    requests(...labels).inc();
    durations(...labels).observe(seconds);
  };
  return { registry, middleware: registerMetrics, observeProxy, render: () => registry.metrics() };
}
