import type { Context } from "hono";
import type { Provider, RouteId } from "../core/policy.ts";
import { nextTraceparent } from "../core/traceparent.ts";
import type { AppEnv } from "../http/app-env.ts";
import { GatewayError } from "../http/errors.ts";
import type { ProxyDeps } from "./deps.ts";
import { Exchange } from "./exchange.ts";
import { authenticateKey, workerIdentity } from "../http/virtual-key.ts";
import { ClientAbortedError, upstreamHeaders } from "./upstream-request.ts";

/**
 * The start shared by every proxied request: authenticate (401s write no row: nobody proved a
 * key), then open the exchange that will write its one usage row.
 */
export async function beginExchange(
  c: Context<AppEnv>,
  deps: ProxyDeps,
  route: RouteId,
  provider: Provider,
  startedAt: number,
): Promise<Exchange> {
  c.set("routeId", route);
  const request = c.req.raw;
  const key = await authenticateKey(request.headers.get("authorization") ?? undefined, deps.cache.keys);
  const exchange = new Exchange({
    requestId: c.get("requestId"),
    key,
    route,
    worker: workerIdentity(request.headers, deps.workerToken),
    startedAt,
    ledger: deps.ledger,
    metrics: deps.proxyMetrics,
    counters: deps.counters,
    logger: deps.logger,
    guardrailEvents: deps.guardrailEvents,
    guardrailMetrics: deps.guardrailMetrics,
  });
  exchange.provider = provider;
  c.set("keyId", key.id);
  return exchange;
}

/** Ends the exchange of a request that failed before (or while) reaching the upstream; rethrows. */
export function failExchange(exchange: Exchange, err: unknown, deps: ProxyDeps): never {
  if (err instanceof ClientAbortedError) {
    exchange.finish({ statusCode: 499, errorCode: "client_aborted" });
    throw new GatewayError("upstream_connection");
  }
  exchange.finish({
    statusCode: err instanceof GatewayError ? err.status : 500,
    errorCode: err instanceof GatewayError ? err.code : "internal_error",
  });
  if (!(err instanceof GatewayError)) deps.logger.error({ err }, "proxy request failed");
  throw err;
}

/** The upstream path with the client's query string, taken from the raw URL (no URL parse). */
export function withQuery(request: Request, upstreamPath: string): string {
  const queryAt = request.url.indexOf("?");
  return queryAt === -1 ? upstreamPath : upstreamPath + request.url.slice(queryAt);
}

/**
 * What every upstream call carries: the client's headers (minus credentials) plus the gateway's.
 * `service`: the internal service this call goes to (a fallback target names its own).
 */
export function gatewayHeaders(
  request: Request,
  exchange: Exchange,
  credential: string | null,
  random: (size: number) => Uint8Array,
  service: string | null = exchange.serviceName,
): Headers {
  const { ctx } = exchange;
  const headers = upstreamHeaders(request.headers);
  // Set one by one: no intermediate object or entry arrays per request.
  if (credential) headers.set("authorization", `Bearer ${credential}`);
  headers.set("x-relayna-request-id", ctx.requestId);
  headers.set("x-relayna-key-id", ctx.key.id);
  setIfPresent(headers, "x-relayna-project-id", ctx.key.projectId);
  setIfPresent(headers, "x-relayna-service", service);
  headers.set("traceparent", nextTraceparent(request.headers.get("traceparent") ?? undefined, random));
  setIfPresent(headers, "x-relayna-task-id", ctx.worker.taskId);
  setIfPresent(headers, "x-relayna-run-id", ctx.worker.runId);
  return headers;
}

function setIfPresent(headers: Headers, name: string, value: string | null): void {
  if (value !== null) headers.set(name, value);
}
