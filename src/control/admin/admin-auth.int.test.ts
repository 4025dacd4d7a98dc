import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pino from "pino";
import { createHttpMetrics } from "../../http/metrics.ts";
import type { Db } from "../../store/db.ts";
import type { OperatorTokens } from "../../store/repos/operator-tokens.ts";
import { integrationServices } from "../../testing/services.ts";
import { newOperatorToken, startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { createControlApp } from "../app.ts";
import { expectError, jsonOf, MISSING_ID } from "./admin-test-helpers.ts";

const services = await integrationServices();
// A body every create would accept: proves the guard runs before any handler.
const INTRUDER = { name: "intruder", owner_type: "individual", kind: "internal-service", base_url: "http://x" };

/**
 * Every admin route the control app registers, read from the app itself: a router added
 * later is covered without touching this file. Nothing here is ever called on these deps.
 */
function adminRouteTable(): { method: string; path: string }[] {
  const unused = {} as never;
  const app = createControlApp({
    logger: pino({ enabled: false }),
    metrics: createHttpMetrics(),
    readiness: {},
    operatorTokens: unused as OperatorTokens,
    db: unused as Db,
    invalidate: () => {},
  });
  const table = app.routes
    .filter((r) => r.method !== "ALL" && r.path.startsWith("/admin/"))
    .map((r) => ({
      method: r.method,
      path: r.path.replaceAll(":route_id", "chat-completions").replace(/:[a-z_]+/g, MISSING_ID),
    }));
  return [...new Map(table.map((r) => [`${r.method} ${r.path}`, r])).values()];
}

describe.skipIf(!services.postgres || !services.redis)("every admin route requires the operator token", () => {
  let gw: TestGateway;
  const routes = adminRouteTable();
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test("the route table covers this issue's routers", () => {
    const names = routes.map((r) => `${r.method} ${r.path.replaceAll(MISSING_ID, ":id")}`);
    for (const expected of [
      "POST /admin/projects",
      "GET /admin/projects/:id/usage",
      "POST /admin/keys",
      "POST /admin/keys/:id/revoke",
      "PATCH /admin/providers/:id",
      "POST /admin/openai-routes/chat-completions/disable",
      "POST /admin/operator-token/rotate",
    ]) {
      expect(names).toContain(expected);
    }
  });

  type AuthCode = "missing_authorization" | "malformed_authorization" | "invalid_operator_token";
  const credentials: [string, Record<string, string>, AuthCode][] = [
    ["no authorization", {}, "missing_authorization"],
    ["a malformed token", { authorization: "Bearer op_live_123" }, "malformed_authorization"],
    ["a virtual key", { authorization: `Bearer rk_live_${"0".repeat(64)}` }, "malformed_authorization"],
    ["an unknown token", { authorization: `Bearer ${newOperatorToken()}` }, "invalid_operator_token"],
  ];
  for (const [what, headers, code] of credentials) {
    test(`${what}: 401 ${code} on every admin route`, async () => {
      for (const { method, path } of routes) {
        const body = method === "GET" || method === "DELETE" ? undefined : JSON.stringify(INTRUDER);
        const res = await fetch(`${gw.controlUrl}${path}`, {
          method,
          headers: { ...headers, "content-type": "application/json" },
          body,
        });
        await expectError(res, code);
      }
    });
  }

  test("the rejected writes changed nothing", async () => {
    expect((await jsonOf<{ data: unknown[] }>(await gw.adminFetch("/admin/projects"), 200)).data).toEqual([]);
    expect((await jsonOf<{ data: unknown[] }>(await gw.adminFetch("/admin/keys"), 200)).data).toEqual([]);
    expect((await jsonOf<{ data: unknown[] }>(await gw.adminFetch("/admin/providers"), 200)).data).toEqual([]);
    const routesNow = await jsonOf<{ data: { enabled: boolean }[] }>(await gw.adminFetch("/admin/openai-routes"), 200);
    expect(routesNow.data.every((r) => r.enabled)).toBe(true);
  });
});
