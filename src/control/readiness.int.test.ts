import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { freePort, startRedisServer } from "../testing/redis-server.ts";
import { integrationServices } from "../testing/services.ts";
import { startTestGateway, type TestGateway } from "../testing/test-gateway.ts";
import { waitFor } from "../testing/wait.ts";

const services = await integrationServices();


async function readyz(gw: TestGateway) {
  const res = await fetch(`${gw.controlUrl}/readyz`);
  return { status: res.status, body: await res.json() };
}

describe.skipIf(!services.postgres || !services.redis)("readiness follows Redis without a restart", () => {
  let gw: TestGateway;
  let redis: Subprocess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    redis = startRedisServer(port);
    gw = await startTestGateway({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
    await waitFor(async () => (await readyz(gw)).status === 200, 5000, 100);
  });
  afterAll(async () => {
    await gw?.stop();
    redis?.kill();
  });

  test("ready with both dependencies up", async () => {
    expect(await readyz(gw)).toEqual({ status: 200, body: { status: "ready", checks: { postgres: "ok", redis: "ok" } } });
  });

  test("Redis stopped ⇒ 503 naming Redis; started again ⇒ 200, same process", async () => {
    redis.kill();
    await redis.exited;
    await waitFor(async () => (await readyz(gw)).status === 503, 5000, 100);
    expect(await readyz(gw)).toEqual({
      status: 503,
      body: { status: "not_ready", checks: { postgres: "ok", redis: "error" } },
    });
    // The control plane keeps answering meanwhile.
    expect((await fetch(`${gw.controlUrl}/healthz`)).status).toBe(200);

    redis = startRedisServer(port);
    const recoveredAfter = await waitFor(async () => (await readyz(gw)).status === 200, 10_000, 100);
    expect(await readyz(gw)).toEqual({ status: 200, body: { status: "ready", checks: { postgres: "ok", redis: "ok" } } });
    expect(recoveredAfter).toBeLessThan(10_000);
    // One warning per outage and one recovery line, not one per reconnect attempt.
    const events = gw.logs.map((l) => JSON.parse(l).msg as string);
    expect(events.filter((m) => m === "redis unavailable; reconnecting")).toHaveLength(1);
    expect(events.filter((m) => m === "redis connection restored")).toHaveLength(1);
  });

  test("a gateway starts while Redis is down and becomes ready when it comes up", async () => {
    const downPort = await freePort();
    const late = await startTestGateway({ env: { REDIS_URL: `redis://127.0.0.1:${downPort}` } });
    let lateRedis: Subprocess | undefined;
    try {
      const down = await readyz(late);
      expect(down).toEqual({ status: 503, body: { status: "not_ready", checks: { postgres: "ok", redis: "error" } } });
      lateRedis = startRedisServer(downPort);
      await waitFor(async () => (await readyz(late)).status === 200, 10_000, 100);
    } finally {
      await late.stop();
      lateRedis?.kill();
    }
  });
});
