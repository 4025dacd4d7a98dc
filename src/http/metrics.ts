import { prometheus } from "@hono/prometheus";
import type { Context, MiddlewareHandler } from "hono";
import { Registry } from "prom-client";

// Sub-millisecond resolution at the low end: the gateway's own overhead lives there.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export interface HttpMetrics {
  registry: Registry;
  /** Request count and latency histogram, labelled by listener and route pattern (bounded). */
  middleware: MiddlewareHandler;
  render(): Promise<string>;
}

/**
 * One registry per gateway instance (tests run several in one process). Route labels are the
 * matched route pattern (`/admin/keys/:id`), never a raw path; unmatched requests share one
 * label, so a scanner cannot grow the series count.
 */
export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry();
  const listener = (c: Context) => (c.get("listener") as string | undefined) ?? "unknown";
  const { registerMetrics } = prometheus({
    registry,
    collectDefaultMetrics: true,
    metricOptions: {
      requestsTotal: { customLabels: { listener } },
      // `buckets` is honoured at runtime but missing from the options type (an Omit over a union).
      requestDuration: { customLabels: { listener }, ...({ buckets: LATENCY_BUCKETS } as object) },
    },
  });
  return { registry, middleware: registerMetrics, render: () => registry.metrics() };
}
