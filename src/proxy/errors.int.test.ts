import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { TestKey } from "../testing/fixtures/keys.ts";
import { ALL_AI_ROUTES, startProxyFixture, type ProxyFixture } from "../testing/proxy-fixture.ts";
import { integrationServices } from "../testing/services.ts";
import { startTestGateway, type TestGateway } from "../testing/test-gateway.ts";

const services = await integrationServices();
const chat = { model: "m", messages: [{ role: "user" as const, content: "hi" }] };

async function sdkError(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof OpenAI.APIError) return err;
    throw err;
  }
  throw new Error("expected an APIError");
}

describe.skipIf(!services.postgres || !services.redis)("gateway errors through the official SDK", () => {
  let fx: ProxyFixture;
  let key: TestKey;
  beforeAll(async () => {
    fx = await startProxyFixture({ env: { GATEWAY_UPSTREAM_TIMEOUT_SECONDS: "0.5" } });
    key = await fx.key({ policy: { allowedRoutes: ["/v1/chat/completions"] } });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  test("401: missing, malformed and unknown keys", async () => {
    const missing = await fetch(`${fx.gw.proxyUrl}/v1/chat/completions`, { method: "POST", body: "{}" });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("missing_authorization");
    const malformed = await sdkError(fx.client("sk-not-a-relayna-key").chat.completions.create(chat));
    expect(malformed).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(malformed).toMatchObject({ status: 401, code: "malformed_authorization", type: "authentication_error" });
    const unknown = await sdkError(fx.client(`rk_live_${"0".repeat(64)}`).chat.completions.create(chat));
    expect(unknown).toMatchObject({ status: 401, code: "invalid_virtual_key" });
  });

  test("revoked, disabled and expired keys get their code only after the secret is proven", async () => {
    const cases = [
      [await fx.key({ revokedAt: new Date() }), "revoked_virtual_key"],
      [await fx.key({ disabled: true }), "disabled_virtual_key"],
      [await fx.key({ expiresAt: new Date(Date.now() - 1000) }), "expired_virtual_key"],
    ] as const;
    for (const [k, code] of cases) {
      expect(await sdkError(fx.client(k.raw).chat.completions.create(chat))).toMatchObject({ status: 401, code });
      // Same prefix, wrong secret: nothing about the key's state is revealed.
      const forged = k.raw.slice(0, 16) + (k.raw[16] === "a" ? "b" : "a") + k.raw.slice(17);
      expect(await sdkError(fx.client(forged).chat.completions.create(chat))).toMatchObject({ code: "invalid_virtual_key" });
    }
  });

  test("403 policy_denied names the rule; the denial is a usage row with cost 0", async () => {
    const err = await sdkError(fx.client(key.raw).embeddings.create({ model: "e", input: "x" }));
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err).toMatchObject({ status: 403, code: "policy_denied", type: "permission_error" });
    expect(err.message).toContain("route");
    const row = await fx.usageRow(err.headers!.get("x-request-id")!);
    expect(row).toMatchObject({ status: "failure", statusCode: 403, errorCode: "policy_denied", estimatedCostUsd: 0, route: "/v1/embeddings" });
    const stream = await sdkError(fx.client(key.raw).chat.completions.create({ ...chat, stream: true }));
    expect(stream).toMatchObject({ code: "policy_denied" });
    expect(stream.message).toContain("streaming");
  });

  test("404 unsupported_route", async () => {
    const err = await sdkError(fx.client(key.raw).completions.create({ model: "m", prompt: "x" }));
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ status: 404, code: "unsupported_route", type: "not_found_error" });
  });

  test("413 request_body_too_large (declared and chunked), 400 invalid_request_body", async () => {
    const huge = "x".repeat(4 * 1024 * 1024 + 1);
    const err = await sdkError(fx.client(key.raw).chat.completions.create({ model: "m", messages: [{ role: "user", content: huge }] }));
    expect(err).toMatchObject({ status: 413, code: "request_body_too_large", type: "invalid_request_error" });
    const chunked = await fetch(`${fx.gw.proxyUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key.raw}` },
      body: new Blob([huge]).stream(),
    });
    expect(chunked.status).toBe(413);
    for (const body of ["not json", "[1,2]", '"str"']) {
      const res = await fetch(`${fx.gw.proxyUrl}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key.raw}` }, body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_request_body");
    }
  });

  test("upstream error responses pass through unchanged", async () => {
    const err = await sdkError(fx.client(key.raw, { headers: { "x-stub-status": "503" } }).chat.completions.create(chat));
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err).toMatchObject({ status: 503, code: "stub_error" });
    const row = await fx.usageRow(err.headers!.get("x-request-id")!);
    expect(row).toMatchObject({ status: "failure", statusCode: 503, errorCode: null, estimatedCostUsd: 0 });
  });

  test("504 upstream_timeout when the upstream does not answer in time", async () => {
    const before = fx.stub.aborted;
    const started = performance.now();
    const err = await sdkError(fx.client(key.raw, { headers: { "x-stub-stall": "before-headers" } }).chat.completions.create(chat));
    expect(err).toMatchObject({ status: 504, code: "upstream_timeout", type: "api_error" });
    expect(performance.now() - started).toBeLessThan(2000);
    await Bun.sleep(50);
    expect(fx.stub.aborted).toBe(before + 1);
  });

  test("disabled route ⇒ 403 disabled_route, immediately after the toggle", async () => {
    await fx.gw.gateway.database.db.execute("update openai_route_settings set enabled = false where route_id = 'chat-completions'" as never);
    fx.gw.gateway.cache.invalidate({ kind: "routes" });
    expect(await sdkError(fx.client(key.raw).chat.completions.create(chat))).toMatchObject({ status: 403, code: "disabled_route" });
    await fx.gw.gateway.database.db.execute("update openai_route_settings set enabled = true where route_id = 'chat-completions'" as never);
    fx.gw.gateway.cache.invalidate({ kind: "routes" });
    expect((await fx.client(key.raw).chat.completions.create(chat)).object).toBe("chat.completion");
  });
});

describe.skipIf(!services.postgres || !services.redis)("upstream missing or unreachable", () => {
  let unconfigured: TestGateway;
  let unreachable: TestGateway;
  beforeAll(async () => {
    unconfigured = await startTestGateway();
    unreachable = await startTestGateway({ env: { LITELLM_BASE_URL: "http://127.0.0.1:9", LITELLM_SERVICE_KEY: "k" } });
  });
  afterAll(async () => {
    await unconfigured?.stop();
    await unreachable?.stop();
  });

  const clientOf = async (gw: TestGateway) => {
    const { insertTestKey } = await import("../testing/fixtures/keys.ts");
    const k = await insertTestKey(gw.gateway.database.db, { policy: { allowedRoutes: ALL_AI_ROUTES } });
    return new OpenAI({ apiKey: k.raw, baseURL: `${gw.proxyUrl}/v1`, maxRetries: 0 });
  };

  test("503 upstream_not_configured", async () => {
    const err = await sdkError((await clientOf(unconfigured)).chat.completions.create(chat));
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err).toMatchObject({ status: 503, code: "upstream_not_configured" });
  });

  test("502 upstream_connection", async () => {
    const err = await sdkError((await clientOf(unreachable)).chat.completions.create(chat));
    expect(err).toMatchObject({ status: 502, code: "upstream_connection", type: "api_error" });
  });
});
