import { beforeAll, describe, expect, test } from "bun:test";
import { formatCredential } from "../core/credentials.ts";
import { integrationServices } from "../testing/services.ts";
import { insertTestKey } from "../testing/fixtures/keys.ts";
import { startStubUpstream, type StubUpstream } from "../testing/stub-upstream.ts";
import { startTestGateway, type TestGateway } from "../testing/test-gateway.ts";

const services = await integrationServices();

const planted = {
  litellmKey: "sk-litellm-PLANTED-4f1d9a",
  directKey: "sk-direct-PLANTED-77aa01",
  studioToken: "studio-PLANTED-token-93be",
  workerToken: "worker-PLANTED-token-5c2e81",
  virtualKey: "", // a real key, created below
  unknownVirtualKey: formatCredential("rk_live_", crypto.getRandomValues(new Uint8Array(32))),
  wrongOperatorToken: formatCredential("op_live_", crypto.getRandomValues(new Uint8Array(32))),
  apiKeyHeader: "x-api-key-PLANTED-0d0d",
  cookie: "session=PLANTED-cookie-1e1e",
  bodySecret: "sk-body-PLANTED-8c8c",
  querySecret: "query-PLANTED-6b6b",
};

describe.skipIf(!services.postgres || !services.redis)("secrets never reach the logs", () => {
  let gw: TestGateway;
  let stub: StubUpstream;
  let rotatedRaw = "";
  beforeAll(async () => {
    stub = startStubUpstream();
    gw = await startTestGateway({
      env: {
        LOG_LEVEL: "trace",
        LITELLM_BASE_URL: `${stub.url}/litellm`,
        LITELLM_SERVICE_KEY: planted.litellmKey,
        DIRECT_OPENAI_BASE_URL: "http://127.0.0.1:9",
        DIRECT_OPENAI_SERVICE_KEY: planted.directKey,
        RELAYNA_STUDIO_BASE_URL: "http://127.0.0.1:9",
        RELAYNA_STUDIO_TOKEN: planted.studioToken,
        RELAYNA_WORKER_TOKEN: planted.workerToken,
      },
    });
    const key = await insertTestKey(gw.gateway.database.db, {
      policy: { allowedRoutes: ["/v1/chat/completions", "/providers/openai/*"], allowedProviders: ["litellm", "openai"], allowStreaming: true },
    });
    planted.virtualKey = key.raw;
    const credentialHeaders = {
      "x-api-key": planted.apiKeyHeader,
      "x-relayna-worker-token": planted.workerToken,
      "proxy-authorization": `Bearer ${planted.studioToken}`,
      cookie: planted.cookie,
    };
    const chat = (extra: Record<string, unknown> = {}) =>
      JSON.stringify({ model: "m", messages: [{ role: "user", content: planted.bodySecret }], ...extra });
    const proxied = (path: string, body: string, headers: Record<string, string> = {}): [string, RequestInit] => [
      `${gw.proxyUrl}${path}?api_key=${planted.querySecret}`,
      { method: "POST", headers: { authorization: `Bearer ${planted.virtualKey}`, ...credentialHeaders, ...headers }, body },
    ];
    const requests: [string, RequestInit][] = [
      proxied("/v1/chat/completions", chat()),
      proxied("/v1/chat/completions", chat({ stream: true })),
      proxied("/v1/chat/completions", chat(), { "x-stub-status": "500" }),
      proxied("/v1/chat/completions", `{"messages": [{"content": "${planted.bodySecret}"`),
      proxied("/providers/openai/v1/chat/completions", chat()),
      [`${gw.proxyUrl}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${planted.unknownVirtualKey}` }, body: chat() }],
      [`${gw.controlUrl}/admin/operator-token/rotate`, { method: "POST", headers: { authorization: `Bearer ${planted.wrongOperatorToken}` } }],
      [`${gw.controlUrl}/admin/x?token=${planted.querySecret}`, { headers: { authorization: `Bearer ${gw.operatorToken}`, ...credentialHeaders } }],
      [`${gw.controlUrl}/readyz`, { headers: { authorization: `Bearer ${planted.virtualKey}` } }],
    ];
    for (const [url, init] of requests) {
      const res = await fetch(url, init);
      const text = await res.text() + JSON.stringify([...res.headers]);
      for (const [name, value] of Object.entries(planted)) {
        // The body secret is the prompt: only the model's answer may echo a prompt, and the stub does not.
        if (text.includes(value)) throw new Error(`planted ${name} leaked into a response`);
      }
    }
    const rotated = await gw.adminFetch("/admin/operator-token/rotate", { method: "POST" });
    rotatedRaw = ((await rotated.json()) as { raw_token: string }).raw_token;
    gw.operatorToken = rotatedRaw;
    // Something that logs an object carrying credential-named fields, as a careless handler might.
    gw.gateway.loggers.proxy.info(
      { headers: { authorization: `Bearer ${planted.virtualKey}` }, upstream: { credential: planted.litellmKey } },
      `forwarding with ${planted.directKey}`,
    );
    await gw.stop();
    await stub.stop();
  });

  test("the upstream never receives a client credential", () => {
    expect(stub.requests.length).toBeGreaterThanOrEqual(4);
    const seen = JSON.stringify(stub.requests.map((r) => r.headers));
    for (const name of ["virtualKey", "apiKeyHeader", "workerToken", "cookie", "studioToken"] as const) {
      expect(seen).not.toContain(planted[name]);
    }
    expect(seen).toContain(planted.litellmKey);
  });

  test("the logs were written (the test can see a leak)", () => {
    const requestLines = gw.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
    expect(requestLines.length).toBeGreaterThanOrEqual(5);
    expect(gw.logs.join("\n")).toContain("[REDACTED]");
  });

  test("no planted secret or operator token appears in any log line", () => {
    const all = gw.logs.join("\n");
    for (const [name, value] of Object.entries(planted)) {
      if (all.includes(value)) throw new Error(`planted secret ${name} leaked into the logs`);
    }
    expect(all).not.toContain(gw.operatorToken);
    expect(all).not.toContain(rotatedRaw);
  });
});
