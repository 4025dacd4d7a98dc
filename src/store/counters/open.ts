import type { Logger } from "pino";
import { createRedisClient } from "../redis.ts";
import { createMemoryCounters } from "./memory-counters.ts";
import { createRedisCounters } from "./redis-counters.ts";
import type { CountersStore } from "./types.ts";

/**
 * Redis when a URL is configured (connecting lazily: the gateway starts while Redis is down),
 * else the in-memory twin of embedded mode. Connection trouble is logged once per outage,
 * not once per reconnect attempt.
 */
export function openCounters(redisUrl: string | null, prefix: string, log: Logger): CountersStore {
  if (!redisUrl) return createMemoryCounters();
  let healthy = true;
  const client = createRedisClient(redisUrl, {
    onError: (err) => {
      if (!healthy) return;
      healthy = false;
      log.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, "redis unavailable; reconnecting");
    },
  });
  client.on("ready", () => {
    if (!healthy) log.info("redis connection restored");
    healthy = true;
  });
  const store = createRedisCounters(client, { prefix });
  return {
    ...store,
    kind: store.kind,
    async close() {
      await store.close();
      client.disconnect();
    },
  };
}
