import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import type { Context } from "hono";
import type { AppEnv } from "./app-env.ts";
import { createBaseApp, createProxyBaseApp } from "./app.ts";
import { GatewayError } from "./errors.ts";
import { createLoggers } from "./logger.ts";
import { createHttpMetrics } from "./metrics.ts";
import { readJsonBody } from "./validation.ts";

function makeApp(listener: "proxy" | "control" = "control") {
  const lines: string[] = [];
  const loggers = createLoggers({
    levels: { gateway: "info", api: "info", proxy: "info" },
    destination: { write: (line: string) => void lines.push(line) },
  });
  const metrics = createHttpMetrics();
  // The proxy registers its handlers through createProxyBaseApp (plumbing per handler), the
  // control listener on the app itself (plumbing as middleware): both must behave the same.
  const proxy = listener === "proxy" ? createProxyBaseApp({ logger: loggers.api, metrics }) : null;
  const app = proxy?.app ?? createBaseApp({ listener, logger: loggers.api, metrics });
  const route = (method: "GET" | "POST", path: string, handler: (c: Context<AppEnv>) => Response | Promise<Response>) =>
    proxy ? proxy.route(method, path, handler) : app.on(method, path, handler);
  route("POST", "/echo", async (c) => c.json(await readJsonBody(c, v.object({ name: v.pipe(v.string(), v.minLength(1)) }))));
  route("GET", "/boom", () => {
    throw new Error("internal detail: password=hunter2 at db.ts:42");
  });
  route("GET", "/limited", () => {
    throw new GatewayError("rate_limit_exceeded", { retryAfterSeconds: 11.2 });
  });
  route("GET", "/db-down", () => {
    throw Object.assign(new Error("wrapped"), { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
  });
  // As the proxy's forwardService does when no service matches either.
  proxy?.fallback(() => {
    throw new GatewayError("unsupported_route");
  });
  return { app, lines, metrics };
}

async function envelope(res: Response) {
  expect(res.headers.get("content-type")).toStartWith("application/json");
  const body = (await res.json()) as { error: Record<string, unknown> };
  expect(body.error.request_id).toBe(res.headers.get("x-request-id")!);
  return body.error;
}

for (const listener of ["control", "proxy"] as const) {
  describe(`error envelope (${listener} listener)`, () => {
    test("unknown route ⇒ 404 unsupported_route with the request id", async () => {
      const { app } = makeApp(listener);
      const res = await app.request("/nope");
      expect(res.status).toBe(404);
      expect(await envelope(res)).toEqual({
        code: "unsupported_route",
        type: "not_found_error",
        message: "No route matches this method and path.",
        request_id: res.headers.get("x-request-id")!,
      });
    });

    test("wrong method ⇒ 404 unsupported_route", async () => {
      const { app } = makeApp(listener);
      const res = await app.request("/echo", { method: "DELETE" });
      expect(res.status).toBe(404);
      expect((await envelope(res)).code).toBe("unsupported_route");
    });

    test("malformed JSON ⇒ 400 invalid_admin_payload, body never echoed", async () => {
      const { app } = makeApp(listener);
      const res = await app.request("/echo", { method: "POST", body: '{"name": "sk-secret-in-body"' });
      expect(res.status).toBe(400);
      const error = await envelope(res);
      expect(error).toMatchObject({ code: "invalid_admin_payload", type: "invalid_request_error" });
      expect(JSON.stringify(error)).not.toContain("sk-secret");
    });

    test("schema failure names the field", async () => {
      const { app } = makeApp(listener);
      const res = await app.request("/echo", { method: "POST", body: JSON.stringify({ name: "" }) });
      expect(res.status).toBe(400);
      expect((await envelope(res)).message).toContain("`name`");
    });

    test("unexpected exception ⇒ 500 with a generic message; the cause only in the log", async () => {
      const { app, lines } = makeApp(listener);
      const res = await app.request("/boom");
      expect(res.status).toBe(500);
      const error = await envelope(res);
      expect(error).toMatchObject({ code: "internal_error", type: "api_error", message: "The gateway hit an unexpected error." });
      expect(JSON.stringify(error)).not.toContain("hunter2");
      expect(lines.join("")).toContain("internal detail");
    });

    test("429 carries retry_after_seconds and Retry-After (rounded up)", async () => {
      const { app } = makeApp(listener);
      const res = await app.request("/limited");
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("12");
      expect(await envelope(res)).toMatchObject({ code: "rate_limit_exceeded", type: "rate_limit_error", retry_after_seconds: 12 });
    });

    test("database connection failure ⇒ 503 store_unavailable", async () => {
      const { app } = makeApp(listener);
      const res = await app.request("/db-down");
      expect(res.status).toBe(503);
      expect((await envelope(res)).code).toBe("store_unavailable");
    });
  });

  describe(`request id (${listener} listener)`, () => {
    test("a sane client x-request-id is kept and echoed", async () => {
      const { app } = makeApp(listener);
      const res = await app.request("/nope", { headers: { "x-request-id": "client-abc_123.4:5" } });
      expect(res.headers.get("x-request-id")).toBe("client-abc_123.4:5");
    });

    test("an insane one is replaced by a UUID", async () => {
      const { app } = makeApp(listener);
      for (const bad of ["has space", "x".repeat(200), 'quote"d', "semi;colon"]) {
        const res = await app.request("/nope", { headers: { "x-request-id": bad } });
        expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });

}

describe("request log", () => {
  test("one JSON line per request with request id, listener, route, status and latency", async () => {
    const { app, lines } = makeApp("proxy");
    const res = await app.request("/limited", { headers: { "x-request-id": "rid-1" } });
    expect(res.status).toBe(429);
    const requestLines = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({
      reqId: "rid-1",
      listener: "proxy",
      route: "/limited",
      status: 429,
      method: "GET",
      component: "gateway_api",
    });
    expect(typeof requestLines[0].responseTime).toBe("number");
  });
});
