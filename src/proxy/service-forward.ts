import type { Context } from "hono";
import { evaluatePolicy } from "../core/policy.ts";
import { matchService, serviceState, type ServiceRoute, type ServiceTable } from "../core/service-routes.ts";
import type { AppEnv } from "../http/app-env.ts";
import { GatewayError } from "../http/errors.ts";
import type { ProxyDeps } from "./deps.ts";
import { beginExchange, failExchange, gatewayHeaders, withQuery } from "./exchange-flow.ts";
import { assertKeyUsable } from "../http/virtual-key.ts";
import { reserveLimits } from "./limits.ts";
import { readBoundedBody } from "./read-body.ts";
import { relayJson } from "./relay-response.ts";
import { sendUpstream, upstreamUrl } from "./upstream-request.ts";

/** Fallbacks are tried on these answers, as on connection errors and timeouts (contract 7). */
const FALLBACK_STATUSES = new Set([502, 503, 504]);
const BODYLESS = new Set(["GET", "HEAD"]);

/** The service, then its routable fallbacks in order. */
function targetsOf(service: ServiceRoute, table: ServiceTable): ServiceRoute[] {
  const fallbacks = service.fallbackServices
    .map((name) => table.byName.get(name))
    .filter((s): s is ServiceRoute => s !== undefined && s !== service && serviceState(s) === "ok");
  return [service, ...fallbacks];
}

/**
 * Registered internal services (contract 4 and 7): `/services/<name>[/<rest>]` and any registered
 * route pattern. Authentication comes before any service state is revealed; then the service
 * (missing / disabled / incomplete), the method allow-list (a wrong method is unsupported_route),
 * the key's policy (linking a service grants its route and the internal-service provider),
 * limits and budget (per the service's cost mode), then the upstream with the service's own
 * credential, timeout and body limit, falling back in order on a connection error, timeout or
 * 502/503/504. The answer streams back as it comes (any content type, SSE included).
 */
export async function forwardService(c: Context<AppEnv>, deps: ProxyDeps): Promise<Response> {
  const startedAt = performance.now();
  const request = c.req.raw;
  const snapshot = await deps.cache.runtime.current();
  const match = matchService(snapshot.services, c.req.path, "");
  if (!match) throw new GatewayError("unsupported_route");
  const exchange = await beginExchange(c, deps, "/services/*", "internal-service", startedAt);
  exchange.serviceName = match.name;
  try {
    const key = exchange.ctx.key;
    assertKeyUsable(key, Date.now());
    const service = match.service;
    if (!service) throw new GatewayError("missing_service");
    const state = serviceState(service);
    if (state !== "ok") throw new GatewayError(state);
    if (!service.allowedMethods.includes(request.method)) {
      throw new GatewayError("unsupported_route", { headers: { allow: service.allowedMethods.join(", ") } });
    }
    const body = BODYLESS.has(request.method) ? null : await readBoundedBody(request, service.maxBodyBytes);
    const verdict = evaluatePolicy(key.policy, key.serviceNames, {
      route: "/services/*",
      provider: "internal-service",
      service: service.name,
      model: null,
      stream: false,
      usesTools: false,
    });
    if (!verdict.allowed) throw new GatewayError("policy_denied", { message: verdict.message });

    exchange.costMode = service.costMode;
    exchange.estimateUsd = service.estimatedCostUsd ?? 0;
    await reserveLimits(deps, exchange, { bodyBytes: 0, maxTokens: 0, price: null });

    const targets = targetsOf(service, snapshot.services);
    for (let i = 0; ; i++) {
      const target = targets[i]!;
      const last = i === targets.length - 1;
      exchange.fallbackCount = i;
      const sentAt = performance.now();
      const attempt = await sendUpstream({
        url: upstreamUrl(target.upstreamBaseUrl!, withQuery(request, match.upstreamPath)),
        method: request.method,
        headers: gatewayHeaders(request, exchange, target.credential, deps.random, target.name),
        body,
        timeoutMs: target.timeoutMs,
        clientSignal: request.signal,
      }).catch((err: unknown) => {
        if (last || !(err instanceof GatewayError)) throw err;
        return null;
      });
      if (!attempt) continue;
      if (!last && FALLBACK_STATUSES.has(attempt.response.status)) {
        await attempt.response.body?.cancel().catch(() => {});
        continue;
      }
      deps.proxyMetrics.upstreamLatency("/services/*", "internal-service", (performance.now() - sentAt) / 1000);
      return relayJson(attempt.response, exchange, request.signal);
    }
  } catch (err) {
    failExchange(exchange, err, deps);
  }
}
