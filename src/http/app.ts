import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { pinoLogger } from "hono-pino";
import type { Logger } from "pino";
import type { AppEnv, Listener } from "./app-env.ts";
import type { ErrorCode } from "./error-codes.ts";
import { errorResponse, GatewayError, gatewayErrorResponse } from "./errors.ts";
import type { HttpMetrics } from "./metrics.ts";
import { logRequest } from "./request-log.ts";
import { resolveRequestId } from "./request-id.ts";
import { isStoreUnavailable } from "./store-errors.ts";

export interface BaseAppOptions {
  listener: Listener;
  logger: Logger;
  metrics: HttpMetrics;
}

/**
 * Bounded route label: the handler's route id, else the matched pattern (`/admin/keys/:id`);
 * unmatched requests all share the catch-all pattern `/*`, as in the HTTP metrics.
 */
export function routeLabel(c: Context<AppEnv>): string {
  return c.get("routeId") ?? c.req.routePath;
}

function frameworkErrorCode(status: number, listener: Listener): ErrorCode {
  if (status === 413) return "request_body_too_large";
  if (status === 401) return "missing_authorization";
  if (status === 404 || status === 405) return "unsupported_route";
  if (status >= 400 && status < 500) return listener === "proxy" ? "invalid_request_body" : "invalid_admin_payload";
  return "internal_error";
}

/**
 * Shared plumbing of both listeners: request id (echoed on every response), one JSON log line
 * per request, HTTP metrics, and the one error envelope for every error path.
 */
export function createBaseApp({ listener, logger, metrics }: BaseAppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const proxy = listener === "proxy";
  // One middleware for the proxy's per-request plumbing (request id, metrics, log line): every
  // middleware level costs a dispatch and a closure per request on the data plane.
  app.use(async (c, next) => {
    const startedAt = performance.now();
    const requestId = resolveRequestId(c.req.raw.headers.get("x-request-id") ?? undefined);
    c.set("requestId", requestId);
    c.set("listener", listener);
    try {
      await next();
    } finally {
      try {
        c.res.headers.set("x-request-id", requestId);
      } catch {
        // Immutable headers (a fetched Response passed through): copy once to add ours.
        c.res = new Response(c.res.body, c.res);
        c.res.headers.set("x-request-id", requestId);
      }
      if (proxy) {
        const route = routeLabel(c);
        metrics.observeProxy(c.req.method, c.req.routePath, c.res.status, (performance.now() - startedAt) / 1000);
        logRequest(logger, c, route, startedAt);
      }
    }
  });

  if (!proxy) {
    // hono-pino re-binds the logger's own bindings on each request's child, which would repeat
    // `service` and `component` in every line; hide them from it (the logger still carries them).
    const requestLogger = Object.create(logger, { bindings: { value: () => ({}) } }) as Logger;
    app.use(
      pinoLogger({
        pino: requestLogger,
        http: {
          referRequestIdKey: "requestId",
          onReqBindings: (c) => ({ listener, method: c.req.method, path: c.req.path }),
          onResBindings: (c) => ({ route: routeLabel(c), status: c.res.status }),
          onResLevel: (c) => (c.res.status >= 500 ? "error" : "info"),
          onResMessage: () => "request",
        },
      }),
    );
  }

  if (!proxy) app.use(metrics.middleware);

  app.notFound((c) => errorResponse("unsupported_route", c.get("requestId")));

  app.onError((err, c) => {
    const requestId = c.get("requestId") ?? resolveRequestId(undefined);
    if (err instanceof GatewayError) return gatewayErrorResponse(err, requestId);
    if (err instanceof HTTPException) {
      return errorResponse(frameworkErrorCode(err.status, listener), requestId);
    }
    const log = c.get("logger") ?? logger;
    if (isStoreUnavailable(err)) {
      log.warn({ err }, "database unavailable");
      return errorResponse("store_unavailable", requestId);
    }
    log.error({ err }, "unhandled error");
    return errorResponse("internal_error", requestId);
  });

  return app;
}
