import { tracingChannel } from "node:diagnostics_channel";
import { Redis } from "ioredis";

/**
 * ioredis 6 traces each command through a diagnostics_channel TracingChannel unless
 * `channel.hasSubscribers === false`. Node's TracingChannel has that getter; Bun 1.4's does not
 * (it is undefined), so every command paid for a traced promise and a sanitised copy of its
 * arguments with nobody listening: 1.2-3.4 us of client CPU per EVALSHA (7.6-8.5 -> 5.0-6.4 us,
 * measured with autopipelining, 32 in flight). The getter is added where it is missing, with
 * Node's meaning (true while any of the five channels has a subscriber), so an APM that
 * subscribes to `tracing:ioredis:command:*` still gets every command traced.
 */
function addTracingChannelHasSubscribers(): void {
  const prototype = Object.getPrototypeOf(tracingChannel("relayna:probe")) as object;
  if ("hasSubscribers" in prototype) return;
  type Channels = Record<"start" | "end" | "asyncStart" | "asyncEnd" | "error", { hasSubscribers: boolean } | undefined>;
  Object.defineProperty(prototype, "hasSubscribers", {
    configurable: true,
    get(this: Channels): boolean {
      return !!(this.start?.hasSubscribers || this.end?.hasSubscribers || this.asyncStart?.hasSubscribers || this.asyncEnd?.hasSubscribers || this.error?.hasSubscribers);
    },
  });
}
addTracingChannelHasSubscribers();

export interface RedisClientOptions {
  /** Not supported: the counters prefix their own keys (and their Lua keys) explicitly. */
  keyPrefix?: never;
  /** Connection errors, forwarded as they come (reconnects keep going meanwhile). */
  onError?: (err: Error) => void;
  /**
   * A stalled connection (commands sent, no reply) is dropped after this long (default 1000 ms),
   * failing what was pending; ioredis reconnects.
   */
  stallTimeoutMs?: number;
}

/**
 * A client that lets the gateway start and keep serving while Redis is down: it connects in
 * the background, reconnects forever with capped backoff, and commands fail fast instead of
 * queueing (no offline queue, one retry). Callers turn those failures into 503s for keys that
 * need limits. The URL is never logged: it may carry a password.
 *
 * Stalls are caught by one watchdog per client rather than ioredis' per-command timeout, which
 * arms a timer for every command (two per metered request: ~12% of the proxy's CPU measured
 * with limits on): a PING every half-interval must answer within stallTimeoutMs, or the
 * connection is dropped, failing every pending command, and re-established.
 */
export function createRedisClient(url: string, opts: RedisClientOptions = {}): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 100, 2_000),
    enableOfflineQueue: false,
    // Commands issued in the same tick (admits and settlements of concurrent requests) share
    // one write: fewer syscalls per request under load.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    // A script that timed out may already have run: never send it a second time.
    autoResendUnfulfilledCommands: false,
  });
  // Without a listener ioredis prints every connection error itself.
  client.on("error", (err: Error) => opts.onError?.(err));
  client.connect().catch(() => {});
  watchForStalls(client, opts.stallTimeoutMs ?? 1_000);
  return client;
}

function watchForStalls(client: Redis, stallTimeoutMs: number): void {
  let probing = false;
  let restarting = false;
  // disconnect() fails every pending command ("Connection is closed"); a reconnecting close
  // would keep them waiting. Then connect again, as the client would have.
  const restart = () => {
    restarting = true;
    client.once("end", () => {
      restarting = false;
      client.connect().catch(() => {});
    });
    client.disconnect();
  };
  const timer = setInterval(() => {
    if (probing || client.status !== "ready") return;
    probing = true;
    const stalled = setTimeout(restart, stallTimeoutMs);
    client
      .ping()
      .catch(() => {})
      .finally(() => {
        clearTimeout(stalled);
        probing = false;
      });
  }, Math.max(50, stallTimeoutMs / 2));
  timer.unref();
  client.prependListener("end", () => {
    if (!restarting) clearInterval(timer);
  });
}

/**
 * Resolves once Redis answers PING; rejects within timeoutMs otherwise. While the client is
 * still (re)connecting it waits for the connection rather than failing at once, so a
 * readiness check right after startup does not report a false outage.
 */
export async function pingRedis(client: Redis, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onReady: (() => void) | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not answer PING within ${timeoutMs} ms`)), timeoutMs);
  });
  const ping = (async () => {
    if (client.status === "end") throw new Error("redis client is closed");
    if (client.status !== "ready") {
      await new Promise<void>((resolve) => {
        onReady = resolve;
        client.once("ready", resolve);
      });
    }
    await client.ping();
  })();
  try {
    await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
    if (onReady) client.off("ready", onReady);
    ping.catch(() => {});
  }
}
