import type { Logger } from "pino";
import type { UpstreamConfig } from "../../config/config.ts";
import type { Db } from "../db.ts";
import { loadKeyRecord } from "../repos/key-records.ts";
import type { Invalidate, InvalidationEvent } from "./invalidation.ts";
import { createInvalidationBus, type InvalidationBus } from "./invalidation-bus.ts";
import { createKeyCache, type KeyCache } from "./key-cache.ts";
import { createRuntimeConfig, type RuntimeConfig } from "./runtime-config.ts";

export interface HotCache {
  keys: KeyCache;
  runtime: RuntimeConfig;
  /** Applies an admin write here at once and tells the other replicas. */
  invalidate: Invalidate;
  close(): Promise<void>;
}

export interface HotCacheOptions {
  db: Db;
  envLitellm: UpstreamConfig | null;
  /** null in embedded mode: one replica, nothing to tell. */
  redisUrl: string | null;
  redisKeyPrefix: string;
  logger: Logger;
  ttlMs?: number;
}

/** Keys, route toggles and the LiteLLM upstream in memory: no database query per request. */
export async function createHotCache(options: HotCacheOptions): Promise<HotCache> {
  const ttlMs = options.ttlMs ?? 30_000;
  const keys = createKeyCache({
    load: (digest) => loadKeyRecord(options.db, digest),
    ttlMs,
    negativeTtlMs: 5_000,
    maxEntries: 100_000,
  });
  const runtime = await createRuntimeConfig({ db: options.db, envLitellm: options.envLitellm, ttlMs });

  const apply = (event: InvalidationEvent) => {
    switch (event.kind) {
      case "key":
        return keys.invalidateKey(event.keyId);
      case "project":
        return keys.invalidateProject(event.projectId);
      case "routes":
      case "providers":
      case "prices":
        return runtime.markStale();
      // Service links live on key records; registrations in the runtime snapshot.
      case "services":
      case "all":
        keys.clear();
        runtime.markStale();
    }
  };

  const bus: InvalidationBus | null = options.redisUrl
    ? createInvalidationBus({
        redisUrl: options.redisUrl,
        channel: `${options.redisKeyPrefix}cache-invalidation`,
        logger: options.logger,
        onEvent: apply,
      })
    : null;

  return {
    keys,
    runtime,
    invalidate(event) {
      apply(event);
      bus?.publish(event);
    },
    close: async () => bus?.close(),
  };
}
