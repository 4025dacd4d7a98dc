import type { Logger } from "pino";
import { createRedisClient } from "../redis.ts";
import type { InvalidationEvent } from "./invalidation.ts";

export interface InvalidationBus {
  publish(event: InvalidationEvent): void;
  close(): Promise<void>;
}

type Envelope = { origin: string; event: InvalidationEvent };

/**
 * Admin writes reach the other replicas' caches through Redis pub/sub. Messages lost while a
 * replica was disconnected cannot be replayed, so a (re)connected subscriber drops everything
 * (`{kind: "all"}`) and reloads on demand; the caches' TTL covers anything else.
 */
export function createInvalidationBus(options: {
  redisUrl: string;
  channel: string;
  logger: Logger;
  onEvent: (event: InvalidationEvent) => void;
}): InvalidationBus {
  const origin = crypto.randomUUID();
  const publisher = createRedisClient(options.redisUrl);
  const subscriber = createRedisClient(options.redisUrl);
  let connectedOnce = false;

  subscriber.on("ready", () => {
    subscriber.subscribe(options.channel).catch((err: Error) => {
      options.logger.warn({ err: { message: err.message } }, "cache invalidation subscribe failed");
    });
    if (connectedOnce) options.onEvent({ kind: "all" });
    connectedOnce = true;
  });
  subscriber.on("message", (channel: string, message: string) => {
    if (channel !== options.channel) return;
    try {
      const envelope = JSON.parse(message) as Envelope;
      if (envelope.origin !== origin) options.onEvent(envelope.event);
    } catch {
      options.onEvent({ kind: "all" });
    }
  });

  return {
    publish(event) {
      const envelope: Envelope = { origin, event };
      publisher.publish(options.channel, JSON.stringify(envelope)).catch((err: Error) => {
        // The other replicas fall back to their TTL; this one already applied the change.
        options.logger.warn({ err: { message: err.message }, kind: event.kind }, "cache invalidation publish failed");
      });
    },
    async close() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
