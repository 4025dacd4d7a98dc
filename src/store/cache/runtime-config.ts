import { and, eq } from "drizzle-orm";
import type { UpstreamConfig } from "../../config/config.ts";
import type { ModelPrice } from "../../core/cost.ts";
import { defaultOnNames } from "../../core/guardrail-selection.ts";
import { buildServiceTable, type ServiceTable } from "../../core/service-routes.ts";
import type { GuardrailDefinition } from "../../guardrails/catalog.ts";
import { createGuardrails } from "../repos/guardrails.ts";
import type { Db } from "../db.ts";
import { modelPrices, openaiRouteSettings, providerConfigs, serviceRegistrations } from "../schema.ts";

export interface RuntimeSnapshot {
  /** Route toggles by route id (`chat-completions`, …); a missing row counts as enabled. */
  routes: ReadonlyMap<string, boolean>;
  /** The enabled `litellm` provider config, else the environment's LiteLLM, else null. */
  litellm: UpstreamConfig | null;
  /** Operator-set model prices (estimates, and cost when the upstream reports none). */
  prices: ReadonlyMap<string, ModelPrice>;
  /** Registered services and their route patterns (credentials included: never rendered). */
  services: ServiceTable;
  /** The guardrail catalog by name (bearer tokens included: never rendered). */
  guardrails: ReadonlyMap<string, GuardrailDefinition>;
  /** Default-on guardrail names, sorted: what every request runs first. */
  guardrailDefaults: readonly string[];
}

export interface RuntimeConfig {
  /**
   * The current snapshot. After an admin write the next read waits for a reload; when only the
   * TTL ran out it is refreshed in the background and the read is not delayed.
   */
  current(): RuntimeSnapshot | Promise<RuntimeSnapshot>;
  markStale(): void;
}

export interface RuntimeConfigOptions {
  db: Db;
  envLitellm: UpstreamConfig | null;
  ttlMs: number;
  now?: () => number;
}

async function loadSnapshot(db: Db, envLitellm: UpstreamConfig | null): Promise<RuntimeSnapshot> {
  const [routes, providers, prices, services, guardrails] = await Promise.all([
    db.select({ id: openaiRouteSettings.routeId, enabled: openaiRouteSettings.enabled }).from(openaiRouteSettings),
    db
      .select({ baseUrl: providerConfigs.baseUrl, credential: providerConfigs.credential })
      .from(providerConfigs)
      .where(and(eq(providerConfigs.kind, "litellm"), eq(providerConfigs.enabled, true)))
      .limit(1),
    db.select().from(modelPrices),
    db.select().from(serviceRegistrations),
    createGuardrails(db).definitions(),
  ]);
  const override = providers[0];
  return {
    routes: new Map(routes.map((r) => [r.id, r.enabled])),
    litellm: override ? { baseUrl: override.baseUrl, serviceKey: override.credential ?? "" } : envLitellm,
    prices: new Map(prices.map((p) => [p.model, { inputUsdPerMillion: p.inputUsdPerMillion, outputUsdPerMillion: p.outputUsdPerMillion }])),
    services: buildServiceTable(
      services.map((s) => ({
        name: s.name,
        routePattern: s.routePattern,
        upstreamBaseUrl: s.upstreamBaseUrl,
        credential: s.credential,
        enabled: s.enabled,
        allowedMethods: s.allowedMethods,
        timeoutMs: s.timeoutMs,
        maxBodyBytes: s.maxBodyBytes,
        costMode: s.costMode,
        estimatedCostUsd: s.estimatedCostUsd,
        fallbackServices: s.fallbackServices,
      })),
    ),
    guardrails: new Map(guardrails.map((g) => [g.name, g])),
    guardrailDefaults: defaultOnNames(new Map(guardrails.map((g) => [g.name, g]))),
  };
}

/**
 * Route toggles and the LiteLLM upstream, held in memory. The proxy reads a plain object on
 * the hot path; an admin write (or the TTL) marks it stale and the next read reloads it once,
 * shared by every request waiting meanwhile.
 */
export async function createRuntimeConfig(options: RuntimeConfigOptions): Promise<RuntimeConfig> {
  const now = options.now ?? Date.now;
  let snapshot = await loadSnapshot(options.db, options.envLitellm);
  let freshUntil = now() + options.ttlMs;
  let stale = false;
  let reloading: Promise<RuntimeSnapshot> | null = null;
  let generation = 0;

  const reload = (): Promise<RuntimeSnapshot> => {
    if (reloading) return reloading;
    const startedAt = generation;
    reloading = loadSnapshot(options.db, options.envLitellm)
      .then((next) => {
        snapshot = next;
        // A write that landed during the load leaves it stale, so the next read reloads again.
        if (generation === startedAt) {
          stale = false;
          freshUntil = now() + options.ttlMs;
        }
        return next;
      })
      .finally(() => {
        reloading = null;
      });
    return reloading;
  };

  return {
    current() {
      if (stale) return reload();
      if (freshUntil <= now()) reload().catch(() => {});
      return snapshot;
    },
    markStale() {
      generation++;
      stale = true;
    },
  };
}
