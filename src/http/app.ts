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

/** The one error envelope for whatever a handler threw (both listeners). */
function errorResponseOf(err: unknown, c: Context<AppEnv>, listener: Listener, logger: Logger): Response {
  const requestId = c.get("requestId") ?? resolveRequestId(undefined);
  if (err instanceof GatewayError) return gatewayErrorResponse(err, requestId);
  if (err instanceof HTTPException) return errorResponse(frameworkErrorCode(err.status, listener), requestId);
  const log = c.get("logger") ?? logger;
  if (isStoreUnavailable(err)) {
    log.warn({ err }, "database unavailable");
    return errorResponse("store_unavailable", requestId);
  }
  log.error({ err }, "unhandled error");
  return errorResponse("internal_error", requestId);
}

/** The request's id (the client's when sane) and listener, set on the context first thing. */
function startRequest(c: Context<AppEnv>, listener: Listener): string {
  const requestId = resolveRequestId(c.req.raw.headers.get("x-request-id") ?? undefined);
  c.set("requestId", requestId);
  c.set("listener", listener);
  return requestId;
}

/** `x-request-id` on a response; a fetched Response (immutable headers) is copied once to add it. */
function withRequestId(response: Response, requestId: string): Response {
  try {
    response.headers.set("x-request-id", requestId);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.set("x-request-id", requestId);
    return copy;
  }
}

/**
 * Shared plumbing of both listeners: request id (echoed on every response), one JSON log line
 * per request, HTTP metrics, and the one error envelope for every error path.
 *
 * The control listener gets it as middleware. The proxy listener gets none: its handlers are
 * registered through `ProxyApp.route` / `fallback`, which wrap each handler in the same
 * plumbing, so that a data-plane request matching one route takes Hono's single-handler path
 * instead of composing a middleware chain (the change measured a median 2.5% less gateway CPU
 * per request in situ).
 */
export function createBaseApp({ listener, logger, metrics }: BaseAppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  if (listener === "control") {
    app.use(async (c, next) => {
      const requestId = startRequest(c, listener);
      try {
        await next();
      } finally {
        c.res = withRequestId(c.res, requestId);
      }
    });
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
    app.use(metrics.middleware);
  }

  app.notFound((c) => errorResponse("unsupported_route", c.get("requestId") ?? resolveRequestId(undefined)));
  app.onError((err, c) => errorResponseOf(err, c, listener, logger));
  return app;
}

export type ProxyHandler = (c: Context<AppEnv>) => Response | Promise<Response>;

export interface ProxyApp {
  app: Hono<AppEnv>;
  /** `method` `pattern` ⇒ handler, with the proxy's per-request plumbing. */
  route(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", pattern: string, handler: ProxyHandler): void;
  /** Every request no route matched (any method), with the same plumbing under the pattern `/*`. */
  fallback(handler: ProxyHandler): void;
}

/** The proxy listener's app: createBaseApp's behaviour, its plumbing wrapped around each handler. */
export function createProxyBaseApp({ logger, metrics }: Omit<BaseAppOptions, "listener">): ProxyApp {
  const app = createBaseApp({ listener: "proxy", logger, metrics });
  const plumbed =
    (pattern: string, handler: ProxyHandler) =>
    async (c: Context<AppEnv>): Promise<Response> => {
      const startedAt = performance.now();
      const requestId = startRequest(c, "proxy");
      let response: Response;
      try {
        response = await handler(c);
      } catch (err) {
        response = errorResponseOf(err, c, "proxy", logger);
      }
      response = withRequestId(response, requestId);
      metrics.observeProxy(c.req.method, pattern, response.status, (performance.now() - startedAt) / 1000);
      logRequest(logger, c, c.get("routeId") ?? pattern, response.status, startedAt);
      return response;
    };
  return {
    app,
    route: (method, pattern, handler) => void app.on(method, pattern, plumbed(pattern, handler)),
    fallback: (handler) => void app.notFound(plumbed("/*", handler)),
  };
}
