import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { subscribe, tracingChannel, unsubscribe } from "node:diagnostics_channel";
import Redis from "ioredis";
import { freePort, startRedisServer } from "../testing/redis-server.ts";
import { integrationServices, TEST_REDIS_URL } from "../testing/services.ts";
import { createRedisClient, pingRedis } from "./redis.ts";

const services = await integrationServices();

describe.skipIf(!services.redis)("Redis client: a stalled connection fails pending commands instead of hanging", () => {
  let server: Subprocess;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    server = startRedisServer(port);
  });
  afterAll(() => {
    server?.kill();
  });

  test("commands pending while Redis stops answering fail within ~1.5 s, then the client recovers", async () => {
    const client = createRedisClient(`redis://127.0.0.1:${port}`, { stallTimeoutMs: 500 });
    const admin = new Redis(port, "127.0.0.1");
    try {
      await pingRedis(client, 5000);
      // Every client's commands wait for 2.5 s: a stall, not a refused connection.
      await admin.call("CLIENT", "PAUSE", "2500", "ALL");
      const started = performance.now();
      const outcome = await client.get("anything").then(
        () => "answered",
        () => "failed",
      );
      const elapsed = performance.now() - started;
      expect(outcome).toBe("failed");
      expect(elapsed).toBeLessThan(2000);
      await pingRedis(client, 5000); // back once the pause ends
      expect(await client.get("anything")).toBeNull();
    } finally {
      client.disconnect();
      admin.disconnect();
    }
  }, 15_000);
});

describe.skipIf(!services.redis)("Redis client: command tracing only while someone listens", () => {
  test("no subscriber: ioredis is told so (no traced promise per command); a subscriber still sees every command", async () => {
    const client = createRedisClient(TEST_REDIS_URL);
    const seen: string[] = [];
    const onStart = (message: unknown) => void seen.push((message as { command: string }).command);
    try {
      await pingRedis(client, 5000);
      // ioredis traces a command unless hasSubscribers is exactly false (Bun left it undefined).
      expect(tracingChannel("ioredis:command").hasSubscribers).toBe(false);
      await client.get("relayna_test:tracing-probe");
      expect(seen).toEqual([]);

      subscribe("tracing:ioredis:command:start", onStart);
      expect(tracingChannel("ioredis:command").hasSubscribers).toBe(true);
      await client.get("relayna_test:tracing-probe");
      expect(seen).toEqual(["get"]);
    } finally {
      unsubscribe("tracing:ioredis:command:start", onStart);
      client.disconnect();
    }
    expect(tracingChannel("ioredis:command").hasSubscribers).toBe(false);
  });
});
