import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import OpenAI from "openai";
import { apiKeys } from "../store/schema.ts";
import type { TestKey } from "../testing/fixtures/keys.ts";
import { startProxyFixture, type ProxyFixture } from "../testing/proxy-fixture.ts";
import { integrationServices } from "../testing/services.ts";
import { startTestGateway, type TestGateway } from "../testing/test-gateway.ts";

const services = await integrationServices();
const chat = { model: "m", messages: [{ role: "user" as const, content: "hi" }] };

describe.skipIf(!services.postgres || !services.redis)("hot path: keys, policies and route toggles served from memory", () => {
  let fx: ProxyFixture;
  let replica: TestGateway;
  let key: TestKey;
  beforeAll(async () => {
    fx = await startProxyFixture();
    replica = await startTestGateway({ replicaOf: fx.gw, env: { LITELLM_BASE_URL: `${fx.stub.url}/litellm`, LITELLM_SERVICE_KEY: "k" } });
    key = await fx.key();
  });
  afterAll(async () => {
    await replica?.stop();
    await fx?.stop();
  });

  test("no PostgreSQL query per request once the key is cached (only batched ledger writes)", async () => {
    const client = fx.client(key.raw);
    await client.chat.completions.create(chat);
    await fx.gw.gateway.ledger.flush();
    const { database, ledger } = fx.gw.gateway;
    const queriesBefore = database.stats.queries;
    const batchesBefore = ledger.stats().batches;
    await Promise.all(Array.from({ length: 50 }, () => client.chat.completions.create(chat)));
    await ledger.flush();
    const queries = database.stats.queries - queriesBefore;
    const batches = ledger.stats().batches - batchesBefore;
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThan(10);
    expect(queries).toBe(batches);
  });

  test("a revocation on one replica reaches the other within one second (Redis pub/sub)", async () => {
    const other = new OpenAI({ apiKey: key.raw, baseURL: `${replica.proxyUrl}/v1`, maxRetries: 0 });
    expect((await other.chat.completions.create(chat)).object).toBe("chat.completion");
    await fx.gw.gateway.database.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, key.id));
    const revokedAt = performance.now();
    fx.gw.gateway.cache.invalidate({ kind: "key", keyId: key.id });
    let code: unknown;
    while (performance.now() - revokedAt < 1000) {
      code = await other.chat.completions.create(chat).then(
        () => null,
        (err: { code?: unknown }) => err.code,
      );
      if (code) break;
      await Bun.sleep(10);
    }
    expect(code).toBe("revoked_virtual_key");
    expect(performance.now() - revokedAt).toBeLessThan(1000);
  });
});
