import { beforeAll, describe, expect, test } from "bun:test";
import { formatCredential } from "../core/credentials.ts";
import { integrationServices } from "../testing/services.ts";
import { startTestGateway, type TestGateway } from "../testing/test-gateway.ts";

const services = await integrationServices();

const planted = {
  litellmKey: "sk-litellm-PLANTED-4f1d9a",
  directKey: "sk-direct-PLANTED-77aa01",
  studioToken: "studio-PLANTED-token-93be",
  workerToken: "worker-PLANTED-token-5c2e81",
  virtualKey: formatCredential("rk_live_", crypto.getRandomValues(new Uint8Array(32))),
  wrongOperatorToken: formatCredential("op_live_", crypto.getRandomValues(new Uint8Array(32))),
  apiKeyHeader: "x-api-key-PLANTED-0d0d",
  cookie: "session=PLANTED-cookie-1e1e",
  bodySecret: "sk-body-PLANTED-8c8c",
  querySecret: "query-PLANTED-6b6b",
};

describe.skipIf(!services.postgres || !services.redis)("secrets never reach the logs", () => {
  let gw: TestGateway;
  let rotatedRaw = "";
  beforeAll(async () => {
    gw = await startTestGateway({
      env: {
        LOG_LEVEL: "trace",
        LITELLM_BASE_URL: "http://127.0.0.1:9/litellm",
        LITELLM_SERVICE_KEY: planted.litellmKey,
        DIRECT_OPENAI_BASE_URL: "http://127.0.0.1:9",
        DIRECT_OPENAI_SERVICE_KEY: planted.directKey,
        RELAYNA_STUDIO_BASE_URL: "http://127.0.0.1:9",
        RELAYNA_STUDIO_TOKEN: planted.studioToken,
        RELAYNA_WORKER_TOKEN: planted.workerToken,
      },
    });
    const credentialHeaders = {
      "x-api-key": planted.apiKeyHeader,
      "x-relayna-worker-token": planted.workerToken,
      "proxy-authorization": `Bearer ${planted.studioToken}`,
      cookie: planted.cookie,
    };
    const requests: [string, RequestInit][] = [
      [`${gw.proxyUrl}/v1/chat/completions?api_key=${planted.querySecret}`, {
        method: "POST",
        headers: { authorization: `Bearer ${planted.virtualKey}`, ...credentialHeaders },
        body: `{"messages": [{"content": "${planted.bodySecret}"`,
      }],
      [`${gw.controlUrl}/admin/operator-token/rotate`, { method: "POST", headers: { authorization: `Bearer ${planted.wrongOperatorToken}` } }],
      [`${gw.controlUrl}/admin/x?token=${planted.querySecret}`, { headers: { authorization: `Bearer ${gw.operatorToken}`, ...credentialHeaders } }],
      [`${gw.controlUrl}/readyz`, { headers: { authorization: `Bearer ${planted.virtualKey}` } }],
    ];
    for (const [url, init] of requests) {
      const res = await fetch(url, init);
      const text = await res.text();
      for (const value of Object.values(planted)) expect(text).not.toContain(value);
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
