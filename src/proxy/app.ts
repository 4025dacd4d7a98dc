import { createProxyBaseApp } from "../http/app.ts";
import { AI_REQUEST_ESTIMATE_USD, forwardAi, type AiRouteSpec } from "./ai-forward.ts";
import type { ProxyDeps } from "./deps.ts";
import { forwardService } from "./service-forward.ts";

export type { ProxyDeps } from "./deps.ts";

const MiB = 1024 * 1024;

/** Canonical AI routes to LiteLLM (contract 4). */
const AI_ROUTES: (AiRouteSpec & { path: string })[] = [
  { path: "/v1/chat/completions", route: "/v1/chat/completions", settingId: "chat-completions", timeoutMs: 120_000 },
  { path: "/v1/responses", route: "/v1/responses", settingId: "responses", timeoutMs: 120_000 },
  { path: "/v1/embeddings", route: "/v1/embeddings", settingId: "embeddings", timeoutMs: 60_000 },
].map((r) => ({ ...r, route: r.route as AiRouteSpec["route"], provider: "litellm", maxBodyBytes: 4 * MiB, estimateUsd: AI_REQUEST_ESTIMATE_USD }));

const DIRECT_OPENAI: AiRouteSpec = {
  route: "/providers/openai/*",
  settingId: null,
  provider: "openai",
  timeoutMs: 60_000,
  maxBodyBytes: 4 * MiB,
  estimateUsd: AI_REQUEST_ESTIMATE_USD,
};
const DIRECT_PREFIX = "/providers/openai";

/**
 * The data plane. It serves client AI and service traffic only: no health, metrics or admin
 * routes, and every unknown path is the `unsupported_route` envelope.
 */
export function createProxyApp(deps: ProxyDeps) {
  const proxy = createProxyBaseApp({ logger: deps.logger, metrics: deps.metrics });
  deps.extraRoutes?.(proxy);
  const timeout = <S extends AiRouteSpec>(spec: S): S => ({ ...spec, timeoutMs: deps.upstreamTimeoutMs ?? spec.timeoutMs });
  for (const route of AI_ROUTES) {
    const spec = timeout(route);
    proxy.route("POST", spec.path, (c) => forwardAi(c, deps, spec, spec.path, (s) => ({ primary: s.litellm, fallback: null })));
  }
  const direct = timeout(DIRECT_OPENAI);
  // `/providers/openai/<rest>` ⇒ `<DIRECT_OPENAI_BASE_URL>/<rest>`, retried once on LiteLLM.
  proxy.route("POST", `${DIRECT_PREFIX}/*`, (c) =>
    forwardAi(c, deps, direct, c.req.path.slice(DIRECT_PREFIX.length) || "/", (s) => ({
      primary: deps.directOpenai,
      fallback: deps.directOpenai ? s.litellm : null,
    })),
  );
  // Everything else (no route above matched, any method): registered service patterns and
  // /services/<name>/…, else unsupported_route. A fallback rather than an `all("/*")` route, so
  // that an AI request matches exactly one handler.
  proxy.fallback((c) => forwardService(c, deps));
  return proxy.app;
}
