import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { keyServiceLinks, projectServiceLinks, serviceRegistrations } from "../store/schema.ts";
import type { TestKey } from "../testing/fixtures/keys.ts";
import { startProxyFixture, type ProxyFixture } from "../testing/proxy-fixture.ts";
import { integrationServices } from "../testing/services.ts";
import { startStubUpstream, type StubUpstream } from "../testing/stub-upstream.ts";

const services = await integrationServices();
const CREDENTIAL = "svc-credential-7f3a";

describe.skipIf(!services.postgres || !services.redis)("registered internal services through the proxy", () => {
  let fx: ProxyFixture;
  let projectKey: TestKey;
  let individualKey: TestKey;
  let unlinkedKey: TestKey;
  let sick: StubUpstream;

  const register = async (values: Partial<typeof serviceRegistrations.$inferInsert> & { name: string }) => {
    await fx.gw.gateway.database.db.insert(serviceRegistrations).values({
      routePattern: `/services/${values.name}/*`,
      upstreamBaseUrl: fx.stub.url,
      credential: CREDENTIAL,
      enabled: true,
      ...values,
    });
  };
  const call = (key: TestKey | null, path: string, init: RequestInit = {}) =>
    fetch(`${fx.gw.proxyUrl}${path}`, {
      method: "POST",
      body: "{}",
      ...init,
      headers: { ...(key ? { authorization: `Bearer ${key.raw}` } : {}), "x-api-key": "client-secret", ...init.headers },
    });
  const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  beforeAll(async () => {
    sick = startStubUpstream({ defaults: { status: 503 } });
    fx = await startProxyFixture({ env: { GATEWAY_UPSTREAM_TIMEOUT_SECONDS: "5" } });
    await register({ name: "payments-api" });
    await register({ name: "billing", routePattern: "/billing/*", allowedMethods: ["GET", "POST"] });
    await register({ name: "health-check", routePattern: "/internal/health", allowedMethods: ["GET"] });
    await register({ name: "off", enabled: false });
    await register({ name: "half", credential: null, enabled: true });
    await register({ name: "fixed-cost", costMode: "fixed", estimatedCostUsd: 0.05 });
    await register({ name: "passthrough-cost", costMode: "passthrough" });
    await register({ name: "backup", routePattern: "/services/backup/*" });
    await register({ name: "flaky", upstreamBaseUrl: "http://127.0.0.1:9", fallbackServices: ["backup"] });
    await register({ name: "overloaded", upstreamBaseUrl: sick.url, fallbackServices: ["backup"] });
    await register({ name: "slow", timeoutMs: 300 });
    await register({ name: "small", maxBodyBytes: 10 });
    const db = fx.gw.gateway.database.db;
    projectKey = await fx.key({ project: true });
    individualKey = await fx.key();
    unlinkedKey = await fx.key();
    const all = ["payments-api", "billing", "health-check", "off", "half", "fixed-cost", "passthrough-cost", "flaky", "overloaded", "slow", "small"];
    await db.insert(projectServiceLinks).values(all.map((serviceName) => ({ projectId: projectKey.projectId!, serviceName })));
    await db.insert(keyServiceLinks).values([{ keyId: individualKey.id, serviceName: "payments-api" }]);
    fx.gw.gateway.cache.invalidate({ kind: "services" });
  });
  afterAll(async () => {
    await fx?.stop();
    await sick?.stop();
  });

  test("POST /services/payments-api/charges?trace=1 reaches the upstream as POST /charges?trace=1 with the service credential", async () => {
    fx.stub.reset();
    const res = await call(projectKey, "/services/payments-api/charges?trace=1", { body: '{"amount":5}' });
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-request-id")!;
    const [seen] = fx.stub.requests;
    expect(seen).toMatchObject({ method: "POST", path: "/charges?trace=1", bodyText: '{"amount":5}' });
    expect(seen!.headers.authorization).toBe(`Bearer ${CREDENTIAL}`);
    expect(seen!.headers["x-api-key"]).toBeUndefined();
    expect(JSON.stringify(seen!.headers)).not.toContain(projectKey.raw);
    expect(seen!.headers["x-relayna-service"]).toBe("payments-api");
    expect(seen!.headers["x-relayna-project-id"]).toBe(projectKey.projectId!);
    expect(await fx.usageRow(requestId)).toMatchObject({
      route: "/services/*",
      provider: "internal-service",
      serviceName: "payments-api",
      status: "success",
      estimatedCostUsd: 0,
    });
  });

  test("an individual key reaches the services linked to it; an unlinked key is denied", async () => {
    expect((await call(individualKey, "/services/payments-api/x")).status).toBe(200);
    const other = await call(individualKey, "/billing/x");
    expect(other.status).toBe(403);
    expect(await codeOf(other)).toBe("policy_denied");
    const unlinked = await call(unlinkedKey, "/services/payments-api/charges");
    expect(unlinked.status).toBe(403);
    expect(await codeOf(unlinked)).toBe("policy_denied");
  });

  test("registered route patterns: prefix stripped for P/*, exact paths unchanged", async () => {
    fx.stub.reset();
    expect((await call(projectKey, "/billing/invoices/7?page=2", { method: "GET", body: undefined })).status).toBe(200);
    expect((await call(projectKey, "/internal/health", { method: "GET", body: undefined })).status).toBe(200);
    expect(fx.stub.requests.map((r) => [r.method, r.path])).toEqual([
      ["GET", "/invoices/7?page=2"],
      ["GET", "/internal/health"],
    ]);
  });

  test("authentication comes before any service state; then missing, disabled, incomplete, method", async () => {
    for (const path of ["/services/nope/x", "/services/off/x", "/services/payments-api/x"]) {
      const res = await call(null, path);
      expect(res.status).toBe(401);
      expect(await codeOf(res)).toBe("missing_authorization");
    }
    const cases: [string, RequestInit, number, string][] = [
      ["/services/nope/x", {}, 404, "missing_service"],
      ["/services/off/x", {}, 403, "disabled_service"],
      ["/services/half/x", {}, 409, "incomplete_service"],
      ["/services/payments-api/charges", { method: "GET", body: undefined }, 404, "unsupported_route"],
      ["/somewhere/else", {}, 404, "unsupported_route"],
    ];
    for (const [path, init, status, code] of cases) {
      const res = await call(projectKey, path, init);
      expect([path, res.status, await codeOf(res)]).toEqual([path, status, code]);
    }
  });

  test("fallback services on a connection error and on 502/503/504, counted in fallback_count", async () => {
    fx.stub.reset();
    const refused = await call(projectKey, "/services/flaky/op");
    expect(refused.status).toBe(200);
    expect(fx.stub.requests[0]!.headers["x-relayna-service"]).toBe("backup");
    expect(await fx.usageRow(refused.headers.get("x-request-id")!)).toMatchObject({ serviceName: "flaky", fallbackCount: 1 });
    fx.stub.reset();
    const overloaded = await call(projectKey, "/services/overloaded/op");
    expect(overloaded.status).toBe(200);
    expect(sick.requests).toHaveLength(1);
    expect(fx.stub.requests).toHaveLength(1);
    expect(await fx.usageRow(overloaded.headers.get("x-request-id")!)).toMatchObject({ fallbackCount: 1, status: "success" });
    // When every target answers 503, the last answer passes through unchanged.
    const allDown = await call(projectKey, "/services/overloaded/op", { headers: { "x-stub-status": "503" } });
    expect(allDown.status).toBe(503);
  });

  test("per-service timeout and body limit", async () => {
    const slow = await call(projectKey, "/services/slow/x", { headers: { "x-stub-stall": "before-headers" } });
    expect(slow.status).toBe(504);
    expect(await codeOf(slow)).toBe("upstream_timeout");
    const big = await call(projectKey, "/services/small/x", { body: "x".repeat(11) });
    expect(big.status).toBe(413);
  });

  test("cost modes: fixed charges the estimate, passthrough the reported cost, none nothing", async () => {
    const fixed = await call(projectKey, "/services/fixed-cost/x", { headers: { "x-stub-cost": "0.9" } });
    // The stub reports cost (x-litellm-response-cost) on its chat endpoint.
    const pass = await call(projectKey, "/services/passthrough-cost/chat/completions", {
      headers: { "x-stub-cost": "0.0123" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });
    const none = await call(projectKey, "/services/payments-api/x", { headers: { "x-stub-cost": "0.5" } });
    expect((await fx.usageRow(fixed.headers.get("x-request-id")!)).estimatedCostUsd).toBe(0.05);
    expect((await fx.usageRow(pass.headers.get("x-request-id")!)).estimatedCostUsd).toBe(0.0123);
    expect((await fx.usageRow(none.headers.get("x-request-id")!)).estimatedCostUsd).toBe(0);
  });

  test("service cost feeds the key's budget", async () => {
    const budgeted = await fx.key({ policy: { dailyBudgetUsd: 0.1 } });
    await fx.gw.gateway.database.db.insert(keyServiceLinks).values({ keyId: budgeted.id, serviceName: "fixed-cost" });
    fx.gw.gateway.cache.invalidate({ kind: "key", keyId: budgeted.id });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(budgeted, "/services/fixed-cost/x")).status);
    expect(statuses).toEqual([200, 200, 402]); // 0.05 each against 0.10 a day
  });

  test("a service registered and linked through the admin API is routable on the next request", async () => {
    const created = await fx.gw.adminFetch("/admin/services", {
      method: "POST",
      body: JSON.stringify({ name: "orders", upstream_base_url: fx.stub.url, credential: "orders-cred", enabled: true }),
    });
    expect(created.status).toBe(201);
    const key = await fx.key({ project: true });
    const linked = await fx.gw.adminFetch(`/admin/projects/${key.projectId}`, {
      method: "PATCH",
      body: JSON.stringify({ service_names: ["orders"] }),
    });
    expect(linked.status).toBe(200);
    fx.stub.reset();
    expect((await call(key, "/services/orders/new")).status).toBe(200);
    expect(fx.stub.requests[0]!.headers.authorization).toBe("Bearer orders-cred");
    expect((await fx.gw.adminFetch("/admin/services/orders/disable", { method: "POST" })).status).toBe(200);
    const disabled = await call(key, "/services/orders/new");
    expect([disabled.status, await codeOf(disabled)]).toEqual([403, "disabled_service"]);
  });

  test("any content type streams through, SSE included", async () => {
    const res = await call(projectKey, "/services/payments-api/chat/completions", {
      body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    const text = await res.text();
    expect(text).toContain("data: [DONE]");
  });

  test("a bodiless answer relays as it came: 204 to DELETE, headers kept, usage row written", async () => {
    // A service of our own: the stub upstream only answers with bodies.
    const plain = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req) =>
        req.method === "DELETE"
          ? new Response(null, { status: 204, headers: { "x-deleted": "1", "content-length": "0" } })
          : new Response('{"ok":true}', { headers: { "content-type": "application/json" } }),
    });
    try {
      await register({ name: "bodiless", upstreamBaseUrl: `http://127.0.0.1:${plain.port}`, allowedMethods: ["DELETE", "GET"] });
      await fx.gw.gateway.database.db.insert(projectServiceLinks).values({ projectId: projectKey.projectId!, serviceName: "bodiless" });
      fx.gw.gateway.cache.invalidate({ kind: "services" });

      const deleted = await call(projectKey, "/services/bodiless/items/7", { method: "DELETE", body: undefined });
      expect([deleted.status, deleted.headers.get("x-deleted"), await deleted.text()]).toEqual([204, "1", ""]);
      const got = await call(projectKey, "/services/bodiless/items/7", { method: "GET", body: undefined });
      expect([got.status, await got.text()]).toEqual([200, '{"ok":true}']);
      for (const res of [deleted, got]) {
        expect(await fx.usageRow(res.headers.get("x-request-id")!)).toMatchObject({ serviceName: "bodiless", status: "success", statusCode: res.status });
      }
    } finally {
      plain.stop(true);
    }
  });
});
