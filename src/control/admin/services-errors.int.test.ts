import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integrationServices } from "../../testing/services.ts";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { expectError, MISSING_ID } from "./admin-test-helpers.ts";
import { recordingClient } from "./services-test-helpers.ts";

const services = await integrationServices();

describe.skipIf(!services.postgres || !services.redis)("admin services: error envelopes (PostgreSQL + Redis)", () => {
  let gw: TestGateway;
  const { send, ok } = recordingClient(() => gw);
  beforeAll(async () => {
    gw = await startTestGateway();
    await ok("POST", "/admin/services", { name: "billing" }, 201);
    await ok(
      "POST",
      "/admin/services",
      { name: "payments-api", route_pattern: "/pay/*", studio_service_id: "svc_pay" },
      201,
    );
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test("invalid bodies are 400 invalid_service_payload naming the field", async () => {
    const cases: [unknown, string][] = [
      [{}, "field `name`: is required"],
      [{ name: "Bad Name" }, "field `name`: must be 1-64 lowercase"],
      [{ name: "x".repeat(65) }, "field `name`"],
      [{ name: "ok", route_pattern: "pay" }, "field `route_pattern`: must start with /"],
      [{ name: "ok", route_pattern: "/a//b" }, "field `route_pattern`: must not contain //"],
      [{ name: "ok", route_pattern: "/a/*/b" }, "field `route_pattern`"],
      [{ name: "ok", route_pattern: "/v1/chat/completions" }, "field `route_pattern`: must not be under /v1/"],
      [{ name: "ok", route_pattern: "/providers/openai/*" }, "field `route_pattern`: must not be under /providers/"],
      [{ name: "ok", route_pattern: "/*" }, "field `route_pattern`: must not be /*"],
      [{ name: "ok", allowed_methods: [] }, "field `allowed_methods`: must list at least one method"],
      [
        { name: "ok", allowed_methods: ["HEAD"] },
        "field `allowed_methods.0`: must be one of GET, POST, PUT, PATCH, DELETE",
      ],
      [{ name: "ok", timeout_ms: 0 }, "field `timeout_ms`: must be an integer from 1 to 600000"],
      [{ name: "ok", timeout_ms: 600_001 }, "field `timeout_ms`"],
      [{ name: "ok", timeout_ms: 1.5 }, "field `timeout_ms`"],
      [{ name: "ok", max_body_bytes: 104_857_601 }, "field `max_body_bytes`: must be an integer from 1 to 104857600"],
      [{ name: "ok", cost_mode: "free" }, "field `cost_mode`: must be one of"],
      [{ name: "ok", cost_mode: "fixed" }, 'field `estimated_cost_usd`: is required when cost_mode is "fixed"'],
      [{ name: "ok", estimated_cost_usd: -1 }, "field `estimated_cost_usd`: must be a number >= 0"],
      [
        { name: "ok", estimated_cost_usd: 0.123456789 },
        "field `estimated_cost_usd`: must have at most 8 decimal places",
      ],
      [{ name: "ok", credential: "  " }, "field `credential`: must not be blank"],
      [{ name: "ok", credential: 42 }, "field `credential`: must be a string"],
      [{ name: "ok", display_name: "" }, "field `display_name`: must not be blank"],
      [{ name: "ok", project_id: "nope" }, "field `project_id`: must be a UUID"],
      [{ name: "ok", enabled: "yes" }, "field `enabled`"],
      [{ name: "ok", fallback_services: ["ghost"] }, 'field `fallback_services`: service "ghost" is not registered'],
      [{ name: "ok", fallback_services: ["ok"] }, "field `fallback_services`: must not list the service itself"],
      [{ name: "ok", fallback_services: "billing" }, "field `fallback_services`: must be an array"],
      [{ name: "ok", source: "studio" }, "field `source`: is not a known field"],
      [{ name: "ok", sync_status: "synced" }, "field `sync_status`: is not a known field"],
      [[{ name: "ok" }], "payload: must be a JSON object"],
      ["{not json", "not valid JSON"],
    ];
    for (const [body, message] of cases) {
      await expectError(await send("POST", "/admin/services", body), "invalid_service_payload", message);
    }
    await expectError(await send("GET", "/admin/services/ok"), "missing_service");
  });

  test("bad upstream URLs are 400 invalid_service_upstream, never echoed", async () => {
    for (const url of ["ftp://x", "http://", "payments:8080", "http://user:hunter2@x", "http://x?token=hunter2"]) {
      const message = await expectError(
        await send("POST", "/admin/services", { name: "bad-upstream", upstream_base_url: url }),
        "invalid_service_upstream",
        "Invalid field `upstream_base_url`: must be an http:// or https:// URL",
      );
      expect(message).not.toContain("hunter2");
    }
    await expectError(
      await send("PATCH", "/admin/services/billing", { upstream_base_url: "gopher://x" }),
      "invalid_service_upstream",
    );
  });

  test("unknown project ⇒ 404 missing_project", async () => {
    await expectError(
      await send("POST", "/admin/services", { name: "orphan", project_id: MISSING_ID }),
      "missing_project",
      "project_id",
    );
    await expectError(await send("PATCH", "/admin/services/billing", { project_id: MISSING_ID }), "missing_project");
  });

  test("duplicate name, route pattern or Studio id ⇒ 409 duplicate_service", async () => {
    const cases: [unknown, string][] = [
      [{ name: "billing" }, "field `name`"],
      [{ name: "other", route_pattern: "/pay/*" }, "field `route_pattern`"],
      [{ name: "other", studio_service_id: "svc_pay" }, "field `studio_service_id`"],
    ];
    for (const [body, message] of cases)
      await expectError(await send("POST", "/admin/services", body), "duplicate_service", message);
    await expectError(
      await send("PATCH", "/admin/services/billing", { route_pattern: "/pay/*" }),
      "duplicate_service",
      "route_pattern",
    );
  });

  test("invalid import bodies ⇒ 400 invalid_service_payload", async () => {
    const cases: [unknown, string][] = [
      [{}, "exactly one of `studio_service_ids` and `all: true`"],
      [{ all: true, studio_service_ids: ["a"] }, "exactly one of"],
      [{ all: false }, "field `all`: must be true"],
      [{ studio_service_ids: [] }, "field `studio_service_ids`: must list at least one id"],
      [{ studio_service_ids: [""] }, "field `studio_service_ids.0`: must not be blank"],
      [{ studio_service_ids: "svc_payments" }, "field `studio_service_ids`: must be an array"],
      [{ everything: true }, "field `everything`: is not a known field"],
    ];
    for (const [body, message] of cases)
      await expectError(await send("POST", "/admin/services/import", body), "invalid_service_payload", message);
  });
});
