import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sampleStudioRows, startFakeStudio, type FakeStudio } from "../../testing/fake-studio.ts";
import { integrationServices } from "../../testing/services.ts";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { ISO } from "./admin-test-helpers.ts";
import { recordingClient, type Service } from "./services-test-helpers.ts";

const services = await integrationServices();
const CREDENTIAL = "imported-svc-credential-never-shown";
const STUDIO_TOKEN = "studio-token-never-shown";

interface ImportResult {
  studio_service_id: string | null;
  name: string | null;
  status: string;
  errors?: string[];
}

const catalog = (): Record<string, unknown>[] => [
  ...sampleStudioRows(),
  { studio_service_id: "svc_bad_route", name: "bad-route", default_route_pattern: "/v1/*" },
  { name: "no-id" },
  { studio_service_id: "svc_local", gateway_service_name: "local-svc" },
  {
    studio_service_id: "svc_hand",
    name: "Hand Linked",
    display_name: "Linked by hand",
    base_url: "http://studio-side",
  },
];

describe.skipIf(!services.postgres || !services.redis)("Studio import (PostgreSQL + Redis)", () => {
  let gw: TestGateway;
  let studio: FakeStudio;
  const { bodies, send, ok } = recordingClient(() => gw);
  const importing = async (body: unknown) =>
    (await ok<{ results: ImportResult[] }>("POST", "/admin/services/import", body)).results;
  const service = (name: string) => ok<Service>("GET", `/admin/services/${name}`);

  beforeAll(async () => {
    studio = startFakeStudio({ token: STUDIO_TOKEN, rows: catalog() });
    gw = await startTestGateway({ env: { RELAYNA_STUDIO_BASE_URL: studio.url, RELAYNA_STUDIO_TOKEN: STUDIO_TOKEN } });
    await ok("POST", "/admin/services", { name: "local-svc", upstream_base_url: "http://mine" }, 201);
    await ok(
      "POST",
      "/admin/services",
      { name: "hand-linked", studio_service_id: "svc_hand", upstream_base_url: "http://ops-side" },
      201,
    );
  });
  afterAll(async () => {
    await gw?.stop();
    await studio?.stop();
  });

  test("preview: every row with its own validation result", async () => {
    const preview = await ok<{ data: Record<string, unknown>[]; next_cursor: null }>("GET", "/admin/studio/services");
    expect(preview.next_cursor).toBeNull();
    expect(preview.data[0]).toEqual({
      studio_service_id: "svc_payments",
      name: "payments-api",
      display_name: "Payments API",
      route_pattern: "/services/payments-api/*",
      upstream_base_url: "http://payments.internal:8080",
      allowed_methods: ["GET", "POST"],
      cost_mode: "fixed",
      estimated_cost_usd: 0.002,
      studio_metadata: {
        display_name: "Payments API",
        base_url: "http://payments.internal:8080",
        environment: "production",
        status: "active",
        tags: ["billing", "core"],
        allowed_methods: ["GET", "POST"],
        route_pattern: "/services/payments-api/*",
        default_pricing: { cost_mode: "fixed", estimated_cost_usd: 0.002 },
      },
      valid: true,
      errors: [],
      already_imported: false,
      import_request: { studio_service_ids: ["svc_payments"] },
    });
    const rows = preview.data.slice(1).map((row) => [row.studio_service_id, row.name, row.valid, row.already_imported]);
    expect(rows).toEqual([
      ["svc_search", "search-service", true, false],
      ["svc_bad_route", "bad-route", false, false],
      [null, "no-id", false, false],
      ["svc_local", "local-svc", false, false],
      ["svc_hand", "hand-linked", true, true],
    ]);
    expect(preview.data.map((row) => row.errors)).toEqual([
      [],
      [],
      [expect.stringContaining('default_route_pattern "/v1/*" must not be under /v1/')],
      [expect.stringContaining("studio_service_id (or service_id) is missing")],
      [expect.stringContaining('a service named "local-svc" already exists')],
      [],
    ]);
    expect(preview.data[2]!.import_request).toBeNull();
  });

  test("import by ids: created disabled and incomplete; unknown ids reported", async () => {
    expect(await importing({ studio_service_ids: ["svc_payments", "svc_ghost"] })).toEqual([
      { studio_service_id: "svc_payments", name: "payments-api", status: "created" },
      { studio_service_id: "svc_ghost", name: null, status: "invalid", errors: ["not in the Studio catalog"] },
    ]);
    const created = await service("payments-api");
    expect(created).toMatchObject({
      display_name: "Payments API",
      studio_service_id: "svc_payments",
      route_pattern: "/services/payments-api/*",
      upstream_base_url: "http://payments.internal:8080",
      enabled: false,
      routable: false,
      allowed_methods: ["GET", "POST"],
      credential_configured: false,
      cost_mode: "fixed",
      estimated_cost_usd: 0.002,
      source: "studio",
      sync_status: "incomplete",
      last_synced_at: expect.stringMatching(ISO),
      missing_runtime_fields: ["credential"],
    });
    expect(studio.requests.at(-1)!.authorization).toBe(`Bearer ${STUDIO_TOKEN}`);
  });

  test("import all: row by row; a local service of the same name is not taken over", async () => {
    const results = await importing({ all: true });
    expect(results).toEqual([
      { studio_service_id: "svc_payments", name: "payments-api", status: "unchanged" },
      { studio_service_id: "svc_search", name: "search-service", status: "created" },
      {
        studio_service_id: "svc_bad_route",
        name: "bad-route",
        status: "invalid",
        errors: [expect.stringContaining("/v1/")],
      },
      {
        studio_service_id: null,
        name: "no-id",
        status: "invalid",
        errors: [expect.stringContaining("studio_service_id")],
      },
      {
        studio_service_id: "svc_local",
        name: "local-svc",
        status: "invalid",
        errors: [expect.stringContaining("was not imported from this Studio service")],
      },
      { studio_service_id: "svc_hand", name: "hand-linked", status: "updated" },
    ]);
    expect(await service("local-svc")).toMatchObject({
      source: "gateway",
      studio_service_id: null,
      upstream_base_url: "http://mine",
    });
    // Linked by hand: now synced from Studio, the operator's upstream kept, the empty name filled.
    expect(await service("hand-linked")).toMatchObject({
      source: "studio",
      upstream_base_url: "http://ops-side",
      display_name: "Linked by hand",
    });
    expect(await service("search-service")).toMatchObject({
      allowed_methods: ["GET"],
      upstream_base_url: null,
      missing_runtime_fields: ["upstream_base_url", "credential"],
    });
    const preview = await ok<{ data: { studio_service_id: string; already_imported: boolean }[] }>(
      "GET",
      "/admin/studio/services",
    );
    expect(preview.data.filter((row) => row.already_imported).map((row) => row.studio_service_id)).toEqual([
      "svc_payments",
      "svc_search",
      "svc_hand",
    ]);
  });

  test("re-import changes nothing the operator set; Studio-seeded fields follow Studio while untouched", async () => {
    const project = await ok<{ id: string }>(
      "POST",
      "/admin/projects",
      { name: "Billing", service_names: ["payments-api"] },
      201,
    );
    await ok("PATCH", "/admin/services/payments-api", {
      credential: CREDENTIAL,
      route_pattern: "/pay/*",
      upstream_base_url: "http://ops-chosen:9000",
      timeout_ms: 1_234,
      max_body_bytes: 4_096,
      cost_mode: "passthrough",
      estimated_cost_usd: null,
      fallback_services: ["search-service"],
      project_id: project.id,
    });
    const enabled = await ok<Service>("POST", "/admin/services/payments-api/enable");
    expect(enabled).toMatchObject({ enabled: true, routable: true, sync_status: "synced", missing_runtime_fields: [] });

    studio.rows = catalog().map((row) =>
      row.studio_service_id === "svc_payments"
        ? {
            ...row,
            display_name: "Payments v2",
            base_url: "http://studio-moved:8080",
            default_route_pattern: "/payments/*",
            allowed_methods: ["PUT"],
            default_pricing: { cost_mode: "none" },
            status: "deprecated",
          }
        : row,
    );
    const results = await importing({ studio_service_ids: ["svc_payments", "svc_search"] });
    expect(results.map((r) => r.status)).toEqual(["updated", "unchanged"]);
    const after = await service("payments-api");
    const operatorFields = [
      "credential_configured",
      "enabled",
      "route_pattern",
      "upstream_base_url",
      "timeout_ms",
      "max_body_bytes",
      "cost_mode",
      "estimated_cost_usd",
      "fallback_services",
      "project_id",
      "sync_status",
    ] as const;
    for (const field of operatorFields) expect([field, after[field]]).toEqual([field, enabled[field]]);
    expect(after).toMatchObject({ display_name: "Payments v2", allowed_methods: ["PUT"], routable: true });
    expect(after.studio_metadata).toMatchObject({
      status: "deprecated",
      base_url: "http://studio-moved:8080",
      route_pattern: "/payments/*",
    });
    expect((await ok<{ service_names: string[] }>("GET", `/admin/projects/${project.id}`)).service_names).toEqual([
      "payments-api",
    ]);

    // The same catalog again: every row unchanged, only last_synced_at moves.
    const before = (await ok<{ data: Service[] }>("GET", "/admin/services")).data;
    const again = await importing({ all: true });
    expect(again.filter((r) => r.status !== "invalid").map((r) => r.status)).toEqual([
      "unchanged",
      "unchanged",
      "unchanged",
    ]);
    const now = (await ok<{ data: Service[] }>("GET", "/admin/services")).data;
    expect(now.map(({ last_synced_at: _, ...rest }) => rest)).toEqual(
      before.map(({ last_synced_at: _, ...rest }) => rest),
    );
    const payments = now.find((s) => s.name === "payments-api")!;
    expect(payments.last_synced_at! > before.find((s) => s.name === "payments-api")!.last_synced_at!).toBe(true);
  });

  test("sync-status: incomplete until the upstream and credential are set, then synced", async () => {
    const status = () => ok("GET", "/admin/services/search-service/sync-status");
    expect(await status()).toEqual({
      name: "search-service",
      source: "studio",
      sync_status: "incomplete",
      last_synced_at: expect.stringMatching(ISO),
      missing_runtime_fields: ["upstream_base_url", "credential"],
      studio_service_id: "svc_search",
    });
    await ok("PATCH", "/admin/services/search-service", { upstream_base_url: "http://search", credential: CREDENTIAL });
    expect(await status()).toMatchObject({ sync_status: "synced", missing_runtime_fields: [] });
    // Unlinked from Studio, it becomes a local service.
    await ok("PATCH", "/admin/services/search-service", { studio_service_id: null });
    expect(await status()).toMatchObject({
      source: "gateway",
      sync_status: "local",
      last_synced_at: null,
      studio_service_id: null,
    });
  });

  test("no response ever carried a secret", () => {
    for (const body of bodies) {
      expect(body).not.toContain(CREDENTIAL);
      expect(body).not.toContain(STUDIO_TOKEN);
    }
  });
});
