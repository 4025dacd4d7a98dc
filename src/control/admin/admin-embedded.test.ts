import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { call, expectError, jsonOf, registerService } from "./admin-test-helpers.ts";

// Embedded mode (PGlite) reports constraint errors in its own shape, and ON DELETE RESTRICT as
// 23001 like PostgreSQL 18: the translations must hold there too.
describe("admin constraint translations in embedded mode (PGlite)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ embedded: true });
    await registerService(gw, "billing");
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test("unique violations, RESTRICT and row locks behave as on PostgreSQL", async () => {
    await jsonOf(await call(gw, "POST", "/admin/providers", { kind: "litellm", name: "a", base_url: "http://a" }), 201);
    await expectError(
      await call(gw, "POST", "/admin/providers", { kind: "litellm", name: "b", base_url: "http://b" }),
      "duplicate_provider_config",
      "already enabled",
    );
    await expectError(
      await call(gw, "POST", "/admin/providers", { kind: "internal-service", name: "a", base_url: "http://a" }),
      "duplicate_provider_config",
      "name",
    );
    const created = await call(gw, "POST", "/admin/projects", { name: "P", service_names: ["billing"] });
    const project: { id: string } = await jsonOf(created, 201);
    await expectError(await call(gw, "POST", "/admin/projects", { name: "P" }), "duplicate_project");
    const { key } = await jsonOf<{ key: { id: string } }>(
      await call(gw, "POST", "/admin/keys", {
        owner_type: "project",
        project_id: project.id,
        policy: { rpm_limit: 5 },
      }),
      201,
    );
    await expectError(await call(gw, "DELETE", `/admin/projects/${project.id}`), "project_in_use");
    const patched = await jsonOf<{ policy: Record<string, unknown> }>(
      await call(gw, "PATCH", `/admin/keys/${key.id}`, { policy: { rpm_limit: null, tpm_limit: 9 } }),
      200,
    );
    expect(patched.policy).toMatchObject({ rpm_limit: null, tpm_limit: 9 });
  });
});
