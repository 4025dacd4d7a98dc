import type { Context } from "hono";
import { inspectAiRequest, withIncludeUsage } from "../core/ai-request.ts";
import { evaluatePolicy, type Provider, type RouteId } from "../core/policy.ts";
import type { AppEnv } from "../http/app-env.ts";
import { GatewayError } from "../http/errors.ts";
import type { ProxyDeps } from "./deps.ts";
import { beginExchange, failExchange, gatewayHeaders, withQuery } from "./exchange-flow.ts";
import { assertKeyUsable } from "../http/virtual-key.ts";
import { parseJsonObject, readBoundedBody } from "./read-body.ts";
import { reserveLimits } from "./limits.ts";
import { asGatewayError, guardRequest, needsPostCall, planGuardrails, streamStages } from "./guarded.ts";
import { relayGuardedJson, relayJson, relaySse } from "./relay-response.ts";
import { runGuardrails, type RunState } from "../guardrails/run.ts";
import { sendUpstream, upstreamUrl, type UpstreamTarget } from "./upstream-request.ts";

export type AiKind = "chat" | "responses" | "embeddings" | "other";

export interface AiRouteSpec {
  route: RouteId;
  /** The toggle in openai_route_settings, if the route has one. */
  settingId: string | null;
  provider: Provider;
  timeoutMs: number;
  maxBodyBytes: number;
  /** AI routes without a reported cost are charged this estimate (contract 5). */
  estimateUsd: number;
}

export interface UpstreamChoice {
  primary: UpstreamTarget | null;
  /** Tried once when the primary fails to connect, times out, or answers 429 / 5xx. */
  fallback: UpstreamTarget | null;
}

export const AI_REQUEST_ESTIMATE_USD = 0.01;

function kindOf(path: string): AiKind {
  if (path.endsWith("/chat/completions")) return "chat";
  if (path.endsWith("/responses")) return "responses";
  if (path.endsWith("/embeddings")) return "embeddings";
  return "other";
}

const retriable = (status: number) => status === 429 || status >= 500;
const encoder = new TextEncoder();

/**
 * The contract's pipeline for JSON AI routes: authenticate ⇒ route enabled ⇒ body (bounded,
 * parsed once) ⇒ policy ⇒ forward ⇒ relay. From authentication on, every outcome is one usage row.
 */
export async function forwardAi(
  c: Context<AppEnv>,
  deps: ProxyDeps,
  spec: AiRouteSpec,
  upstreamPath: string,
  chooseUpstream: (snapshot: Awaited<ReturnType<ProxyDeps["cache"]["runtime"]["current"]>>) => UpstreamChoice,
): Promise<Response> {
  const startedAt = performance.now();
  const request = c.req.raw;
  const exchange = await beginExchange(c, deps, spec.route, spec.provider, startedAt);
  const key = exchange.ctx.key;
  try {
    assertKeyUsable(key, Date.now());
    const snapshot = await deps.cache.runtime.current();
    if (spec.settingId && snapshot.routes.get(spec.settingId) === false) throw new GatewayError("disabled_route");

    let body = await readBoundedBody(request, spec.maxBodyBytes);
    let json = parseJsonObject(body);
    const facts = inspectAiRequest(json);
    exchange.model = facts.model;
    exchange.stream = facts.stream;
    const verdict = evaluatePolicy(key.policy, key.serviceNames, {
      route: spec.route,
      provider: spec.provider,
      service: null,
      model: facts.model,
      stream: facts.stream,
      usesTools: facts.usesTools,
    });
    if (!verdict.allowed) throw new GatewayError("policy_denied", { message: verdict.message });

    exchange.estimateUsd = spec.estimateUsd;
    exchange.price = facts.model === null ? null : (snapshot.prices.get(facts.model) ?? null);
    await reserveLimits(deps, exchange, { bodyBytes: body.length, maxTokens: facts.maxTokens, price: exchange.price });

    const kind = kindOf(upstreamPath);
    const plan = planGuardrails(snapshot.guardrails, snapshot.guardrailDefaults, key, json, { on: facts.stream, kind });
    const guard: RunState = {
      requestId: exchange.ctx.requestId,
      context: { key_id: key.id, project_id: key.projectId, model: facts.model, route: spec.route, provider: spec.provider },
      vault: null,
      runs: [],
    };
    exchange.guardrails = plan.applied.map((a) => a.guardrail.name);
    exchange.guardrailRuns = guard.runs;
    if (plan.applied.length > 0 || plan.requestedField) {
      const guarded = await guardRequest(plan, json, guard);
      // Bodies no guardrail changed are forwarded byte for byte.
      if (guarded !== json) body = encoder.encode(JSON.stringify((json = guarded)));
    }
    const hideUsageChunk = kind === "chat" && facts.stream && !facts.includeUsage;
    if (hideUsageChunk) body = withIncludeUsage(body, json);

    const choice = chooseUpstream(snapshot);
    if (!choice.primary) throw new GatewayError("upstream_not_configured");

    const pathAndQuery = withQuery(request, upstreamPath);
    const send = (target: UpstreamTarget) => {
      const headers = gatewayHeaders(request, exchange, target.serviceKey, deps.random);
      // The client's own content-type went with its headers; a body sent without one is JSON.
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
      return sendUpstream({
        url: upstreamUrl(target.baseUrl, pathAndQuery),
        method: "POST",
        headers,
        body,
        timeoutMs: spec.timeoutMs,
        clientSignal: request.signal,
      });
    };

    const sentAt = performance.now();
    let { response } = await send(choice.primary).catch(async (err) => {
      if (!choice.fallback || !(err instanceof GatewayError)) throw err;
      exchange.fallbackCount = 1;
      exchange.provider = "litellm";
      return send(choice.fallback);
    });
    if (choice.fallback && exchange.fallbackCount === 0 && retriable(response.status)) {
      await response.body?.cancel().catch(() => {});
      exchange.fallbackCount = 1;
      exchange.provider = "litellm";
      ({ response } = await send(choice.fallback));
    }
    deps.proxyMetrics.upstreamLatency(spec.route, exchange.provider, (performance.now() - sentAt) / 1000);

    const isSse = (response.headers.get("content-type") ?? "").startsWith("text/event-stream");
    let answer: Response;
    if (response.ok && isSse && (kind === "chat" || kind === "responses")) {
      const { stages, recorded } = streamStages(plan, guard, kind);
      answer = await relaySse(response, exchange, { kind, hideUsageChunk, startedAt, clientSignal: request.signal, stages, recorded }, deps.proxyMetrics);
    } else if (response.ok && needsPostCall(plan)) {
      answer = await relayGuardedJson(response, exchange, (value) =>
        runGuardrails(plan.applied, "post_call", value, guard).catch((err) => {
          throw asGatewayError(err);
        }),
      );
    } else answer = await relayJson(response, exchange, request.signal);
    if (exchange.guardrails.length > 0) answer.headers.set("x-relayna-applied-guardrails", exchange.guardrails.join(","));
    return answer;
  } catch (err) {
    failExchange(exchange, err, deps);
  }
}
