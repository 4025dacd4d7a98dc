import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { AppEnv, Listener } from "./app-env.ts";

/**
 * One JSON line per request for the proxy listener: request id, listener, route id, key id,
 * status, latency. Written directly on the listener's logger; hono-pino (used on the control
 * listener) builds two child loggers per request, which the data plane cannot afford.
 */
export function requestLog(logger: Logger, listener: Listener, route: (c: Parameters<MiddlewareHandler<AppEnv>>[0]) => string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const level = status >= 500 ? "error" : "info";
    if (!logger.isLevelEnabled(level)) return;
    logger[level](
      {
        reqId: c.get("requestId"),
        listener,
        method: c.req.method,
        path: c.req.path,
        route: route(c),
        key_id: c.get("keyId"),
        status,
        responseTime: Math.round(performance.now() - started),
      },
      "request",
    );
  };
}
