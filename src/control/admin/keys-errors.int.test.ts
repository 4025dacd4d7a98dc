import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integrationServices } from "../../testing/services.ts";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { call, expectError, jsonOf, MISSING_ID, registerService } from "./admin-test-helpers.ts";

const services = await integrationServices();

describe.skipIf(!services.postgres || !services.redis)("admin keys: errors (PostgreSQL + Redis)", () => {
  let gw: TestGateway;
  let projectId: string;
  beforeAll(async () => {
    gw = await startTestGateway();
    await registerService(gw, "billing");
    const project = await call(gw, "POST", "/admin/projects", { name: "Keys", service_names: ["billing"] });
    projectId = (await jsonOf<{ id: string }>(project, 201)).id;
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const individual = (fields: Record<string, unknown>) => ({ owner_type: "individual", ...fields });

  test("create: 400 invalid_admin_payload naming the field at fault", async () => {
    const cases: [unknown, string][] = [
      [{}, "field `owner_type`: is required"],
      [{ owner_type: "team" }, "field `owner_type`: must be one of"],
      [{ owner_type: "project" }, "field `project_id`: is required for project keys"],
      [
        { owner_type: "project", project_id: projectId, service_names: ["billing"] },
        "field `service_names`: project keys inherit their project's services",
      ],
      [individual({ project_id: projectId }), "field `project_id`: is not allowed for individual keys"],
      [{ owner_type: "project", project_id: "nope" }, "field `project_id`: must be a UUID"],
      [individual({ service_names: ["billing", "ghost"] }), 'field `service_names`: service "ghost" is not registered'],
      [individual({ expires_at: "2001-01-01T00:00:00Z" }), "field `expires_at`: must be in the future"],
      [individual({ expires_at: "tomorrow" }), "field `expires_at`: must be an RFC 3339 timestamp"],
      [individual({ ownr: 1 }), "field `ownr`: is not a known field"],
      [individual({ name: "" }), "field `name`: must not be blank"],
      [individual({ policy: { rpm: 1 } }), "field `policy.rpm`: is not a known field"],
      [individual({ policy: { rpm_limit: 0 } }), "field `policy.rpm_limit`: must be a positive integer"],
      [individual({ policy: { tpm_limit: 1.5 } }), "field `policy.tpm_limit`: must be a positive integer"],
      [individual({ policy: { daily_budget_usd: -1 } }), "field `policy.daily_budget_usd`: must be a number >= 0"],
      [
        individual({ policy: { monthly_budget_usd: 0.000000001 } }),
        "field `policy.monthly_budget_usd`: must have at most 8 decimal places",
      ],
      [individual({ policy: { allowed_routes: ["/v1/images"] } }), "field `policy.allowed_routes.0`: must be one of"],
      [individual({ policy: { allowed_providers: ["anthropic"] } }), "field `policy.allowed_providers.0`"],
      [
        individual({ policy: { allowed_models: ["m".repeat(201)] } }),
        "field `policy.allowed_models.0`: must be at most 200",
      ],
      [individual({ policy: { allow_tools: "yes" } }), "field `policy.allow_tools`: must be true or false"],
      [individual({ policy: [] }), "field `policy`: must be a JSON object"],
      [
        individual({ guardrail_policy: { mandatory_guardrails: ["Bad Name"] } }),
        "field `guardrail_policy.mandatory_guardrails.0`: must be a guardrail name",
      ],
      [
        individual({ guardrail_policy: { mandatory_guardrails: ["a"], forbidden_guardrails: ["a"] } }),
        "field `guardrail_policy.mandatory_guardrails`: names a guardrail that forbidden_guardrails also lists",
      ],
      [
        individual({ guardrail_policy: { guardrail_config_overrides: { a: [1] } } }),
        "field `guardrail_policy.guardrail_config_overrides.a`: must be a JSON object",
      ],
      [individual({ guardrail_policy: { strict: true } }), "field `guardrail_policy.strict`: is not a known field"],
    ];
    for (const [body, message] of cases) {
      await expectError(await call(gw, "POST", "/admin/keys", body), "invalid_admin_payload", message);
    }
    expect((await jsonOf<{ data: unknown[] }>(await call(gw, "GET", "/admin/keys"), 200)).data).toEqual([]);
  });

  test("create for an unknown project: 404 missing_project", async () => {
    await expectError(
      await call(gw, "POST", "/admin/keys", { owner_type: "project", project_id: MISSING_ID }),
      "missing_project",
    );
  });

  test("validation messages never echo the value sent", async () => {
    const secret = `rk_live_${"ab".repeat(32)}`;
    const bodies = [{ owner_type: secret }, individual({ name: { secret } }), individual({ policy: { rpm_limit: secret } })];
    for (const body of bodies) {
      const message = await expectError(await call(gw, "POST", "/admin/keys", body), "invalid_admin_payload");
      expect(message).not.toContain("ab".repeat(8));
    }
  });

  test("unknown and non-UUID key ids are 404 not_found everywhere", async () => {
    const routes = [
      ["GET", ""],
      ["PATCH", ""],
      ["POST", "/disable"],
      ["POST", "/enable"],
      ["POST", "/revoke"],
      ["GET", "/usage"],
    ] as const;
    for (const id of [MISSING_ID, "nope"]) {
      for (const [method, suffix] of routes) {
        const res = await call(gw, method, `/admin/keys/${id}${suffix}`, method === "PATCH" ? {} : undefined);
        await expectError(res, "not_found");
      }
    }
  });
});
