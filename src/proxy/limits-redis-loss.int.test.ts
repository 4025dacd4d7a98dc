import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import Redis from "ioredis";
import type { TestKey } from "../testing/fixtures/keys.ts";
import { startProxyFixture, type ProxyFixture } from "../testing/proxy-fixture.ts";
import { freePort, startRedisServer } from "../testing/redis-server.ts";
import { integrationServices } from "../testing/services.ts";

const services = await integrationServices();


async function until(check: () => Promise<boolean>, timeoutMs = 5000) {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error("timed out");
    await Bun.sleep(50);
  }
}

describe.skipIf(!services.postgres || !services.redis)("limits when Redis loses its data or goes away", () => {
  let fx: ProxyFixture;
  let redis: Subprocess;
  let port: number;
  let overBudget: TestKey;
  let unlimited: TestKey;
  const status = async (key: TestKey) =>
    (
      await fetch(`${fx.gw.proxyUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key.raw}` },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
      })
    ).status;

  beforeAll(async () => {
    port = await freePort();
    redis = startRedisServer(port);
    fx = await startProxyFixture({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
    await until(async () => (await fetch(`${fx.gw.controlUrl}/readyz`)).status === 200);
    overBudget = await fx.key({ policy: { dailyBudgetUsd: 0.03 } });
    unlimited = await fx.key();
  });
  afterAll(async () => {
    await fx?.stop();
    redis?.kill();
  });

  test("FLUSHALL: the budget is rebuilt from the ledger and an over-budget key stays over budget", async () => {
    for (let i = 0; i < 3; i++) expect(await status(overBudget)).toBe(200);
    expect(await status(overBudget)).toBe(402);
    await Bun.sleep(50); // settlements are written after the responses
    const client = new Redis(port, "127.0.0.1");
    await client.flushall();
    client.disconnect();
    // The very next request already sees the ledger's spend: nothing slips through.
    expect(await status(overBudget)).toBe(402);
    const fresh = await fx.key({ policy: { dailyBudgetUsd: 0.03 } });
    expect(await status(fresh)).toBe(200);
  });

  test("Redis stopped: keys with limits get 503 control_state_unavailable, keys without keep working", async () => {
    const limited = await fx.key({ policy: { rpmLimit: 100 } });
    expect(await status(limited)).toBe(200);
    redis.kill();
    await redis.exited;
    await until(async () => (await status(limited)) === 503);
    const res = await fetch(`${fx.gw.proxyUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${limited.raw}` },
      body: JSON.stringify({ model: "m", messages: [] }),
    });
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("control_state_unavailable");
    expect(await status(unlimited)).toBe(200);

    // Back, and empty: budgets are rebuilt on demand, the over-budget key is still refused.
    redis = startRedisServer(port);
    await until(async () => (await status(limited)) === 200, 10_000);
    expect(await status(overBudget)).toBe(402);
  });
});
