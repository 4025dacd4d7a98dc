import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startProxyFixture, type ProxyFixture } from "../testing/proxy-fixture.ts";
import { integrationServices } from "../testing/services.ts";

const services = await integrationServices();
const chat = { model: "gpt-4o-mini", messages: [{ role: "user" as const, content: "hi" }] };

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (err: { code?: string }) => err.code ?? "error",
  );

describe.skipIf(!services.postgres || !services.redis)("admin writes take effect on the very next request", () => {
  let fx: ProxyFixture;
  let client: OpenAI;
  let keyId: string;
  beforeAll(async () => {
    fx = await startProxyFixture();
    const created = await fx.gw.adminFetch("/admin/keys", {
      method: "POST",
      body: JSON.stringify({ owner_type: "individual", name: "effect" }),
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { key: { id: string }; raw_key: string };
    keyId = body.key.id;
    client = fx.client(body.raw_key);
  });
  afterAll(async () => {
    await fx?.stop();
  });

  const admin = async (path: string, init: RequestInit = { method: "POST" }) => {
    const res = await fx.gw.adminFetch(path, init);
    expect(res.status).toBeLessThan(300);
  };

  test("policy change", async () => {
    expect(await outcome(client.chat.completions.create(chat))).toBe("ok");
    await admin(`/admin/keys/${keyId}`, { method: "PATCH", body: JSON.stringify({ policy: { allowed_models: ["gpt-4o"] } }) });
    expect(await outcome(client.chat.completions.create(chat))).toBe("policy_denied");
    await admin(`/admin/keys/${keyId}`, { method: "PATCH", body: JSON.stringify({ policy: { allowed_models: null } }) });
    expect(await outcome(client.chat.completions.create(chat))).toBe("ok");
  });

  test("disable and enable", async () => {
    await admin(`/admin/keys/${keyId}/disable`);
    expect(await outcome(client.chat.completions.create(chat))).toBe("disabled_virtual_key");
    await admin(`/admin/keys/${keyId}/enable`);
    expect(await outcome(client.chat.completions.create(chat))).toBe("ok");
  });

  test("route toggle", async () => {
    await admin("/admin/openai-routes/chat-completions/disable");
    expect(await outcome(client.chat.completions.create(chat))).toBe("disabled_route");
    await admin("/admin/openai-routes/chat-completions/enable");
    expect(await outcome(client.chat.completions.create(chat))).toBe("ok");
  });

  test("a LiteLLM provider configuration overrides the environment's upstream, without a restart", async () => {
    const res = await fx.gw.adminFetch("/admin/providers", {
      method: "POST",
      body: JSON.stringify({ kind: "litellm", name: "dead-litellm", base_url: "http://127.0.0.1:9", credential: "sk-x" }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    expect(await outcome(client.chat.completions.create(chat))).toBe("upstream_connection");
    await admin(`/admin/providers/${id}/disable`);
    expect(await outcome(client.chat.completions.create(chat))).toBe("ok");
  });

  test("revoke", async () => {
    await admin(`/admin/keys/${keyId}/revoke`);
    expect(await outcome(client.chat.completions.create(chat))).toBe("revoked_virtual_key");
  });
});
