import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { TestKey } from "../testing/fixtures/keys.ts";
import { startProxyFixture, type ProxyFixture } from "../testing/proxy-fixture.ts";
import { integrationServices } from "../testing/services.ts";
import { startStubUpstream, type StubUpstream } from "../testing/stub-upstream.ts";

const services = await integrationServices();
const chat = { model: "gpt-4o", messages: [{ role: "user" as const, content: "hi" }] };

describe.skipIf(!services.postgres || !services.redis)("/providers/openai/* (direct upstream, one retry on LiteLLM)", () => {
  let direct: StubUpstream;
  let fx: ProxyFixture;
  let key: TestKey;
  let client: OpenAI;
  beforeAll(async () => {
    direct = startStubUpstream();
    fx = await startProxyFixture({
      env: { DIRECT_OPENAI_BASE_URL: `${direct.url}/openai`, DIRECT_OPENAI_SERVICE_KEY: "sk-direct", GATEWAY_UPSTREAM_TIMEOUT_SECONDS: "0.5" },
    });
    key = await fx.key({ policy: { allowedRoutes: ["/providers/openai/*"], allowedProviders: ["openai", "litellm"] } });
    client = new OpenAI({ apiKey: key.raw, baseURL: `${fx.gw.proxyUrl}/providers/openai/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await fx?.stop();
    await direct?.stop();
  });

  test("goes to the direct upstream with its own credential, path after the prefix", async () => {
    direct.reset();
    fx.stub.reset();
    const { data, response } = await client.chat.completions.create(chat).withResponse();
    expect(data.object).toBe("chat.completion");
    expect(direct.requests).toHaveLength(1);
    expect(direct.requests[0]!.path).toBe("/openai/v1/chat/completions");
    expect(direct.requests[0]!.headers.authorization).toBe("Bearer sk-direct");
    expect(fx.stub.requests).toHaveLength(0);
    expect(await fx.usageRow(response.headers.get("x-request-id")!)).toMatchObject({
      route: "/providers/openai/*",
      provider: "openai",
      fallbackCount: 0,
      status: "success",
    });
  });

  for (const [name, behaviour] of [
    ["429", { status: 429 }],
    ["5xx", { status: 500 }],
    ["timeout", { stall: "before-headers" as const }],
  ] as const) {
    test(`${name} from the direct upstream is retried once on LiteLLM (fallback_count=1)`, async () => {
      direct.reset();
      direct.setDefaults(behaviour);
      fx.stub.reset();
      try {
        const { data, response } = await client.chat.completions.create(chat).withResponse();
        expect(data.object).toBe("chat.completion");
        expect(fx.stub.requests).toHaveLength(1);
        expect(fx.stub.requests[0]!.path).toBe("/litellm/v1/chat/completions");
        expect(fx.stub.requests[0]!.headers.authorization).toBe("Bearer sk-upstream-service-key");
        expect(await fx.usageRow(response.headers.get("x-request-id")!)).toMatchObject({
          provider: "litellm",
          fallbackCount: 1,
          status: "success",
        });
      } finally {
        direct.reset();
      }
    });
  }

  test("a 4xx other than 429 is the answer: no retry", async () => {
    direct.reset();
    direct.setDefaults({ status: 400 });
    fx.stub.reset();
    try {
      expect(await client.chat.completions.create(chat).catch((e: unknown) => e)).toMatchObject({ status: 400 });
      expect(fx.stub.requests).toHaveLength(0);
    } finally {
      direct.reset();
    }
  });

  test("the key's policy must allow the openai provider", async () => {
    const narrow = await fx.key({ policy: { allowedRoutes: ["/providers/openai/*"], allowedProviders: ["litellm"] } });
    const c = new OpenAI({ apiKey: narrow.raw, baseURL: `${fx.gw.proxyUrl}/providers/openai/v1`, maxRetries: 0 });
    expect(await c.chat.completions.create(chat).catch((e: unknown) => e)).toMatchObject({ status: 403, code: "policy_denied" });
  });
});
