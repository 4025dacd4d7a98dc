import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { MIGRATIONS } from "./store/migrations/migrate.ts";
import { integrationServices } from "./testing/services.ts";
import { startTestGateway, type TestGateway } from "./testing/test-gateway.ts";

const services = await integrationServices();

async function rows<T>(gw: TestGateway, query: ReturnType<typeof sql>): Promise<T[]> {
  return [...((await gw.gateway.database.db.execute(query)) as unknown as Iterable<T>)];
}

describe.skipIf(!services.postgres || !services.redis)("gateway on PostgreSQL + Redis", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      extraProxyRoutes: (proxy) => {
        proxy.route("GET", "/test/slow", async (c) => {
          await Bun.sleep(Number(c.req.query("ms") ?? 300));
          return c.json({ slow: "done" });
        });
      },
    });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test("a fresh database is migrated at startup, seeds included", async () => {
    const tables = await rows<{ table_name: string }>(
      gw,
      // Partitions (usage_events_y…, usage_events_default) are the migrations' too, but not tables of the model.
      sql`select relname as table_name from pg_class where relnamespace = 'public'::regnamespace
        and relkind in ('r', 'p') and not relispartition order by relname`,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      "api_keys",
      "guardrail_definitions",
      "guardrail_execution_events",
      "key_guardrail_policies",
      "key_policies",
      "key_service_links",
      "model_prices",
      "openai_route_settings",
      "operator_tokens",
      "project_service_links",
      "projects",
      "provider_configs",
      "service_registrations",
      "studio_connection_settings",
      "usage_events",
    ]);
    const routes = await rows<{ route_id: string; enabled: boolean }>(
      gw,
      sql`select route_id, enabled from openai_route_settings order by route_id`,
    );
    expect(routes).toEqual([
      { route_id: "chat-completions", enabled: true },
      { route_id: "embeddings", enabled: true },
      { route_id: "responses", enabled: true },
    ]);
    const [pii] = await rows<Record<string, unknown>>(gw, sql`select * from guardrail_definitions`);
    expect(pii).toMatchObject({
      name: "pii-redact",
      provider_kind: "built_in",
      modes: ["pre_call", "post_call", "during_call"],
      failure_policy: "fail_closed",
      enabled: true,
      default_on: false,
      runtime_config: { restore_output: true },
      endpoint_url: null,
      bearer_token: null,
    });
    const applied = await rows<{ n: number }>(gw, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    expect(applied[0]!.n).toBe(MIGRATIONS.length);
    // Applying again is a no-op.
    expect(await gw.gateway.database.migrate()).toEqual({ applied: [] });
  });

  test("database constraints mirror the contract's rules", async () => {
    const rejects = async (query: ReturnType<typeof sql>) =>
      expect((async () => await gw.gateway.database.db.execute(query))()).rejects.toThrow();
    await rejects(sql`insert into service_registrations (name, route_pattern) values ('Bad_Name', '/services/x/*')`);
    await rejects(sql`insert into service_registrations (name, route_pattern) values ('ok', 'services//x')`);
    await rejects(sql`insert into service_registrations (name, route_pattern, allowed_methods) values ('ok', '/s/*', '{}')`);
    await rejects(sql`insert into service_registrations (name, route_pattern, allowed_methods) values ('ok', '/s/*', '{HEAD}')`);
    await rejects(sql`insert into service_registrations (name, route_pattern, timeout_ms) values ('ok', '/s/*', 600001)`);
    await rejects(sql`insert into service_registrations (name, route_pattern, cost_mode) values ('ok', '/s/*', 'fixed')`);
    await rejects(sql`insert into api_keys (owner_type, key_prefix, key_digest) values ('project', 'rk_live_00000000', ${"b".repeat(64)})`);
    await rejects(sql`insert into studio_connection_settings (id, base_url) values (2, 'http://studio')`);
    await rejects(sql`insert into guardrail_definitions (name, provider_kind, modes) values ('h', 'http', '{pre_call}')`);
    await rejects(sql`insert into openai_route_settings (route_id, path) values ('images', '/v1/images')`);
    // And a valid registration passes with the contract's defaults.
    const [service] = await rows<Record<string, unknown>>(
      gw,
      sql`insert into service_registrations (name, route_pattern) values ('payments-api', '/services/payments-api/*') returning *`,
    );
    expect(service).toMatchObject({
      allowed_methods: ["POST"],
      timeout_ms: 60000,
      max_body_bytes: 2 * 1024 * 1024,
      cost_mode: "none",
      source: "gateway",
      sync_status: "local",
      enabled: false,
    });
  });

  test("each listener serves only its own routes", async () => {
    expect((await fetch(`${gw.controlUrl}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${gw.controlUrl}/healthz`)).json()).toEqual({ status: "ok" });
    for (const path of ["/healthz", "/readyz", "/metrics", "/admin/operator-token/rotate"]) {
      const res = await fetch(`${gw.proxyUrl}${path}`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unsupported_route");
    }
    const res = await fetch(`${gw.controlUrl}/v1/chat/completions`, { method: "POST", body: "{}" });
    expect(res.status).toBe(404);
    // An AI path with a method it does not serve is no route either (the proxy's fallback).
    const wrongMethod = await fetch(`${gw.proxyUrl}/v1/chat/completions`);
    expect(wrongMethod.status).toBe(404);
    expect(wrongMethod.headers.get("x-request-id")).toBeTruthy();
    expect(((await wrongMethod.json()) as { error: { code: string } }).error.code).toBe("unsupported_route");
  });

  test("/readyz checks PostgreSQL and Redis", async () => {
    const res = await fetch(`${gw.controlUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready", checks: { postgres: "ok", redis: "ok" } });
  });

  test("/metrics has HTTP metrics for both listeners with bounded route labels, and process metrics", async () => {
    for (let i = 0; i < 3; i++) await fetch(`${gw.proxyUrl}/v1/unknown-${crypto.randomUUID()}`);
    // A matched proxy route is labelled with its own pattern (no key here: a 401).
    await fetch(`${gw.proxyUrl}/v1/chat/completions`, { method: "POST", body: "{}" });
    await fetch(`${gw.controlUrl}/healthz`);
    const res = await fetch(`${gw.controlUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    // Label order within a series is not significant in Prometheus; match the set.
    const series = (name: string, labels: string[]) =>
      text.split("\n").filter((line) => line.startsWith(`${name}{`) && labels.every((l) => line.includes(l)));
    // Unmatched paths share the catch-all label: a scanner cannot grow the series count.
    expect(series("http_requests_total", ['route="/*"', 'status="404"', 'listener="proxy"'])).toHaveLength(1);
    expect(series("http_requests_total", ['route="/healthz"', 'listener="control"'])).toHaveLength(1);
    expect(series("http_requests_total", ['route="/v1/chat/completions"', 'status="401"', 'method="POST"', 'listener="proxy"'])).toHaveLength(1);
    expect(series("http_request_duration_seconds_count", ['route="/*"', 'listener="proxy"'])).toHaveLength(1);
    expect(text).toContain("http_request_duration_seconds_bucket");
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_heap_size_used_bytes");
    expect(text).not.toContain("unknown-");
  });

  test("graceful shutdown lets an in-flight request finish and refuses new ones", async () => {
    const inFlight = fetch(`${gw.proxyUrl}/test/slow?ms=400`);
    await Bun.sleep(50);
    const stopping = gw.gateway.shutdown();
    await Bun.sleep(50);
    await expect(fetch(`${gw.controlUrl}/healthz`)).rejects.toThrow();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ slow: "done" });
    expect(await stopping).toEqual({ drained: true });
  });
});
