import type { Context } from "hono";
import type { Logger } from "pino";
import type { AppEnv } from "./app-env.ts";

/**
 * The proxy listener's one JSON line per request: request id, listener, route id, key id,
 * status, latency. Written directly on the listener's logger by the proxy's handler wrapper
 * (createProxyBaseApp); hono-pino (used on the control listener) builds two child loggers per
 * request, which the data plane cannot afford.
 */
export function logRequest(logger: Logger, c: Context<AppEnv>, route: string, status: number, startedAt: number): void {
  const level = status >= 500 ? "error" : "info";
  if (!logger.isLevelEnabled(level)) return;
  logger[level](
    {
      reqId: c.get("requestId"),
      listener: c.get("listener"),
      method: c.req.method,
      path: c.req.path,
      route,
      key_id: c.get("keyId"),
      status,
      responseTime: Math.round(performance.now() - startedAt),
    },
    "request",
  );
}
