import type { Hono } from "hono";
import type { Logger } from "pino";
import { createBaseApp } from "../http/app.ts";
import type { AppEnv } from "../http/app-env.ts";
import type { HttpMetrics } from "../http/metrics.ts";

export interface ProxyDeps {
  logger: Logger;
  metrics: HttpMetrics;
  /** Extra routes mounted before the catch-all 404; used by tests that need a slow route. */
  extraRoutes?: (app: Hono<AppEnv>) => void;
}

/**
 * The data plane. It serves client AI and service traffic only: no health, metrics or admin
 * routes, and every unknown path is the `unsupported_route` envelope.
 */
export function createProxyApp(deps: ProxyDeps) {
  const app = createBaseApp({ listener: "proxy", logger: deps.logger, metrics: deps.metrics });
  deps.extraRoutes?.(app);
  return app;
}
