import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integrationServices } from "../../testing/services.ts";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { expectError, ISO } from "./admin-test-helpers.ts";
import { recordingClient, type Service } from "./services-test-helpers.ts";

const services = await integrationServices();
const CREDENTIAL = "svc-credential-never-shown";

describe.skipIf(!services.postgres || !services.redis)("admin services (PostgreSQL + Redis)", () => {
  let gw: TestGateway;
  const { bodies, send, ok } = recordingClient(() => gw);
  const create = (body: unknown) => ok<Service>("POST", "/admin/services", body, 201);
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test("create with the name only: the contract's defaults", async () => {
    const service = await create({ name: "billing" });
    expect(service).toEqual({
      name: "billing",
      display_name: null,
      project_id: null,
      studio_service_id: null,
      route_pattern: "/services/billing/*",
      upstream_base_url: null,
      enabled: false,
      routable: false,
      allowed_methods: ["POST"],
      credential_configured: false,
      timeout_ms: 60_000,
      max_body_bytes: 2 * 1024 * 1024,
      cost_mode: "none",
      estimated_cost_usd: null,
      fallback_services: [],
      source: "gateway",
      sync_status: "local",
      last_synced_at: null,
      missing_runtime_fields: ["upstream_base_url", "credential"],
      studio_metadata: null,
      created_at: expect.stringMatching(ISO),
      updated_at: service.created_at,
    });
    expect(await ok<Service>("GET", "/admin/services/billing")).toEqual(service);
  });

  test("create with every field: routable, the credential only as credential_configured", async () => {
    const project = await ok<{ id: string }>("POST", "/admin/projects", { name: "Payments" }, 201);
    const service = await create({
      name: "payments-api",
      display_name: "Payments API",
      project_id: project.id,
      studio_service_id: "svc_pay",
      route_pattern: "/pay/*",
      upstream_base_url: "https://payments.internal:8443/api",
      enabled: true,
      allowed_methods: ["get", "POST", "GET"],
      credential: CREDENTIAL,
      timeout_ms: 5_000,
      max_body_bytes: 1024,
      cost_mode: "fixed",
      estimated_cost_usd: 0.0025,
      fallback_services: ["billing"],
    });
    expect(service).toMatchObject({
      project_id: project.id,
      route_pattern: "/pay/*",
      enabled: true,
      routable: true,
      allowed_methods: ["GET", "POST"],
      credential_configured: true,
      estimated_cost_usd: 0.0025,
      fallback_services: ["billing"],
      source: "gateway",
      sync_status: "local",
      missing_runtime_fields: [],
    });
    expect(await ok("GET", "/admin/services/payments-api/sync-status")).toEqual({
      name: "payments-api",
      source: "gateway",
      sync_status: "local",
      last_synced_at: null,
      missing_runtime_fields: [],
      studio_service_id: "svc_pay",
    });
  });

  test("enabling an incomplete service ⇒ 409 incomplete_service naming what is missing", async () => {
    await expectError(
      await send("POST", "/admin/services/billing/enable"),
      "incomplete_service",
      "missing upstream_base_url and credential",
    );
    await expectError(
      await send("POST", "/admin/services", { name: "half", enabled: true, credential: "c" }),
      "incomplete_service",
      "missing upstream_base_url",
    );
    await ok("PATCH", "/admin/services/billing", { upstream_base_url: "http://billing.internal" });
    await expectError(
      await send("PATCH", "/admin/services/billing", { enabled: true }),
      "incomplete_service",
      "missing credential",
    );
    const complete = await ok("PATCH", "/admin/services/billing", { credential: CREDENTIAL });
    expect(complete).toMatchObject({ enabled: false, routable: false, missing_runtime_fields: [] });
    expect(await ok("POST", "/admin/services/billing/enable")).toMatchObject({ enabled: true, routable: true });
    // An enabled service stays routable: clearing what it needs is refused until it is disabled.
    await expectError(
      await send("PATCH", "/admin/services/billing", { credential: null }),
      "incomplete_service",
      "missing credential",
    );
    expect(await ok("POST", "/admin/services/billing/disable")).toMatchObject({ enabled: false, routable: false });
    expect(await ok("PATCH", "/admin/services/billing", { credential: null })).toMatchObject({
      credential_configured: false,
      missing_runtime_fields: ["credential"],
    });
  });

  test("PATCH: absent = unchanged, null = cleared or default; the name cannot change", async () => {
    const before = await ok("GET", "/admin/services/payments-api");
    expect(await ok("PATCH", "/admin/services/payments-api", {})).toMatchObject({
      ...before,
      updated_at: expect.any(String),
    });
    await expectError(
      await send("PATCH", "/admin/services/payments-api", { name: "renamed" }),
      "invalid_service_payload",
      "field `name`: is not a known field",
    );
    await ok("POST", "/admin/services/payments-api/disable");
    const reset = await ok("PATCH", "/admin/services/payments-api", {
      display_name: null,
      project_id: null,
      route_pattern: null,
      allowed_methods: null,
      timeout_ms: null,
      max_body_bytes: null,
      cost_mode: null,
      estimated_cost_usd: null,
      fallback_services: null,
    });
    expect(reset).toMatchObject({
      display_name: null,
      project_id: null,
      route_pattern: "/services/payments-api/*",
      allowed_methods: ["POST"],
      timeout_ms: 60_000,
      max_body_bytes: 2 * 1024 * 1024,
      cost_mode: "none",
      estimated_cost_usd: null,
      fallback_services: [],
      credential_configured: true,
      upstream_base_url: "https://payments.internal:8443/api",
    });
    // Fixed cost over a stored estimate is fine; clearing the estimate of a fixed service is not.
    await ok("PATCH", "/admin/services/payments-api", { estimated_cost_usd: 0.5 });
    await ok("PATCH", "/admin/services/payments-api", { cost_mode: "fixed" });
    await expectError(
      await send("PATCH", "/admin/services/payments-api", { estimated_cost_usd: null }),
      "invalid_service_payload",
      "estimated_cost_usd",
    );
  });

  test("fallbacks keep their order, drop duplicates, and leave with a deleted service", async () => {
    for (const name of ["fb-a", "fb-b"]) await create({ name });
    const service = await ok("PATCH", "/admin/services/billing", { fallback_services: ["fb-b", "fb-a", "fb-b"] });
    expect(service.fallback_services).toEqual(["fb-b", "fb-a"]);
    await expectError(
      await send("PATCH", "/admin/services/billing", { fallback_services: ["billing"] }),
      "invalid_service_payload",
      "itself",
    );
    const res = await send("DELETE", "/admin/services/fb-b");
    expect(res.status).toBe(204);
    expect((await ok("GET", "/admin/services/billing")).fallback_services).toEqual(["fb-a"]);
  });

  test("DELETE cascades links; unknown names are 404 missing_service everywhere", async () => {
    const project = await ok<{ id: string; service_names: string[] }>(
      "POST",
      "/admin/projects",
      { name: "Linked", service_names: ["fb-a"] },
      201,
    );
    expect((await send("DELETE", "/admin/services/fb-a")).status).toBe(204);
    expect((await ok<{ service_names: string[] }>("GET", `/admin/projects/${project.id}`)).service_names).toEqual([]);
    for (const name of ["fb-a", "Not_A_Name", "x".repeat(70)]) {
      await expectError(await send("GET", `/admin/services/${name}`), "missing_service");
      await expectError(await send("GET", `/admin/services/${name}/sync-status`), "missing_service");
      await expectError(await send("PATCH", `/admin/services/${name}`, {}), "missing_service");
      await expectError(await send("DELETE", `/admin/services/${name}`), "missing_service");
      await expectError(await send("POST", `/admin/services/${name}/enable`), "missing_service");
      await expectError(await send("POST", `/admin/services/${name}/disable`), "missing_service");
    }
  });

  test("list paginates by name; no response ever carried a credential", async () => {
    const all = await ok<{ data: Service[]; next_cursor: null }>("GET", "/admin/services?limit=1000");
    expect(all.next_cursor).toBeNull();
    expect(all.data.map((s) => s.name)).toEqual([...all.data.map((s) => s.name)].sort());
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: Service[]; next_cursor: string | null } = await ok(
        "GET",
        `/admin/services?limit=1${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...page.data.map((s) => s.name));
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(seen).toEqual(all.data.map((s) => s.name));
    await expectError(await send("GET", "/admin/services?cursor=!!!"), "invalid_admin_payload", "field `cursor`");
    await expectError(await send("GET", "/admin/services?limit=0"), "invalid_admin_payload", "field `limit`");
    for (const body of bodies) expect(body).not.toContain(CREDENTIAL);
  });
});
