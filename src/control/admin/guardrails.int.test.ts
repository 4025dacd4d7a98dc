import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { GuardrailView } from "../../store/repos/guardrails-view.ts";
import { integrationServices } from "../../testing/services.ts";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { call, expectError, ISO, jsonOf } from "./admin-test-helpers.ts";

const services = await integrationServices();

type Guardrail = GuardrailView;

const TOKEN = "gr-token-never-shown-anywhere";
const NEW_TOKEN = "gr-second-token-never-shown";

describe.skipIf(!services.postgres || !services.redis)("admin guardrail catalog (PostgreSQL + Redis)", () => {
  let gw: TestGateway;
  const bodies: string[] = [];
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  async function send(method: string, path: string, body?: unknown): Promise<Response> {
    const res = await call(gw, method, path, body);
    bodies.push(await res.clone().text());
    return res;
  }
  const create = async (body: unknown) => jsonOf<Guardrail>(await send("POST", "/admin/guardrails", body), 201);
  const patch = async (name: string, body: unknown) =>
    jsonOf<Guardrail>(await send("PATCH", `/admin/guardrails/${name}`, body), 200);
  const list = async () =>
    (await jsonOf<{ data: Guardrail[] }>(await send("GET", "/admin/guardrails?limit=1000"), 200)).data;

  test("the seeded pii-redact entry", async () => {
    const [pii] = await list();
    expect(pii).toEqual({
      name: "pii-redact",
      description: expect.stringContaining("emails"),
      provider_kind: "built_in",
      modes: ["pre_call", "post_call", "during_call"],
      failure_policy: "fail_closed",
      enabled: true,
      default_on: false,
      config_schema: expect.objectContaining({ type: "object" }),
      runtime_config: { restore_output: true },
      endpoint_url: null,
      timeout_ms: 1500,
      token_configured: false,
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
  });

  test("create an HTTP guardrail: 201, defaults filled in, the token only as token_configured", async () => {
    const created = await create({
      name: "tox",
      modes: ["post_call", "pre_call", "pre_call"],
      endpoint_url: "https://guard.example/v1/check",
      bearer_token: TOKEN,
    });
    expect(created).toEqual({
      name: "tox",
      description: "",
      provider_kind: "http",
      modes: ["pre_call", "post_call"],
      failure_policy: "fail_closed",
      enabled: true,
      default_on: false,
      config_schema: {},
      runtime_config: {},
      endpoint_url: "https://guard.example/v1/check",
      timeout_ms: 1500,
      token_configured: true,
      created_at: expect.stringMatching(ISO),
      updated_at: created.created_at,
    });
    const full = await create({
      name: "secret-scan",
      provider_kind: "http",
      description: "Finds secrets",
      modes: ["during_call"],
      failure_policy: "dry_run",
      enabled: false,
      default_on: true,
      config_schema: { type: "object" },
      runtime_config: { threshold: 0.8 },
      endpoint_url: "http://10.0.0.7:9000/scan",
      timeout_ms: 100,
    });
    expect(full).toMatchObject({
      description: "Finds secrets",
      modes: ["during_call"],
      failure_policy: "dry_run",
      enabled: false,
      default_on: true,
      runtime_config: { threshold: 0.8 },
      timeout_ms: 100,
      token_configured: false,
    });
    expect((await list()).map((g) => g.name)).toEqual(["pii-redact", "secret-scan", "tox"]);
  });

  test("a duplicate name is 400 invalid_admin_payload naming `name`", async () => {
    const body = { name: "tox", modes: ["pre_call"], endpoint_url: "http://x" };
    const duplicate = await send("POST", "/admin/guardrails", body);
    await expectError(duplicate, "invalid_admin_payload", "field `name`: a guardrail with this name already exists");
    const pii = { name: "pii-redact", modes: ["pre_call"], endpoint_url: "http://x" };
    await expectError(await send("POST", "/admin/guardrails", pii), "invalid_admin_payload", "already exists");
  });

  test("invalid create bodies are 400 invalid_admin_payload naming the field, never echoing values", async () => {
    const base = { name: "bad", modes: ["pre_call"], endpoint_url: "http://ok" };
    const cases: [unknown, string][] = [
      [{ ...base, name: "Bad Name" }, "field `name`: must be 1-64 lowercase"],
      [{ ...base, name: "x".repeat(65) }, "field `name`"],
      [{ ...base, modes: [] }, "field `modes`: must list at least one mode"],
      [{ ...base, modes: ["always"] }, "field `modes.0`: must be one of"],
      [{ ...base, failure_policy: "ignore" }, "field `failure_policy`: must be one of"],
      [{ ...base, endpoint_url: "ftp://host" }, "field `endpoint_url`"],
      [{ ...base, endpoint_url: "http://user:pw-in-url@host" }, "field `endpoint_url`"],
      [{ ...base, timeout_ms: 99 }, "field `timeout_ms`: must be an integer from 100 to 10000"],
      [{ ...base, timeout_ms: 10_001 }, "field `timeout_ms`"],
      [{ ...base, timeout_ms: 150.5 }, "field `timeout_ms`"],
      [{ ...base, runtime_config: [1, 2] }, "field `runtime_config`: must be a JSON object"],
      [{ ...base, runtime_config: "x" }, "field `runtime_config`: must be a JSON object"],
      [{ ...base, config_schema: null, runtime_config: 3 }, "field `runtime_config`"],
      [{ ...base, config_schema: [] }, "field `config_schema`: must be a JSON object"],
      [{ ...base, bearer_token: "   " }, "field `bearer_token`: must not be blank"],
      [{ ...base, bearer_token: 12345 }, "field `bearer_token`: must be a string"],
      [{ ...base, provider_kind: "built_in" }, "field `provider_kind`: must be http"],
      [{ ...base, token: "pw-in-url" }, "field `token`: is not a known field"],
      [{ name: "bad", modes: ["pre_call"] }, "field `endpoint_url`: is required"],
      ["{not json", "not valid JSON"],
      [[], "payload: must be a JSON object"],
    ];
    for (const [body, message] of cases) {
      const text = await expectError(await send("POST", "/admin/guardrails", body), "invalid_admin_payload", message);
      expect(text).not.toContain("pw-in-url");
    }
    expect((await list()).map((g) => g.name)).not.toContain("bad");
  });

  test("PATCH an HTTP guardrail: absent = unchanged, null = default / cleared", async () => {
    const changed = await patch("tox", {
      description: "Toxicity",
      modes: ["during_call", "pre_call"],
      failure_policy: "fail_open",
      enabled: false,
      default_on: true,
      runtime_config: { level: 3 },
      config_schema: { type: "object", properties: { level: { type: "integer" } } },
      endpoint_url: "https://guard2.example/check",
      timeout_ms: 2500,
      bearer_token: NEW_TOKEN,
    });
    expect(changed).toMatchObject({
      name: "tox",
      description: "Toxicity",
      modes: ["pre_call", "during_call"],
      failure_policy: "fail_open",
      enabled: false,
      default_on: true,
      runtime_config: { level: 3 },
      endpoint_url: "https://guard2.example/check",
      timeout_ms: 2500,
      token_configured: true,
    });
    expect(await patch("tox", {})).toMatchObject({ ...changed, updated_at: expect.stringMatching(ISO) });
    const reset = await patch("tox", {
      description: null,
      failure_policy: null,
      runtime_config: null,
      config_schema: null,
      timeout_ms: null,
      bearer_token: null,
    });
    expect(reset).toMatchObject({
      description: "",
      failure_policy: "fail_closed",
      runtime_config: {},
      config_schema: {},
      timeout_ms: 1500,
      token_configured: false,
      modes: ["pre_call", "during_call"],
    });
    expect((await patch("tox", { bearer_token: TOKEN })).token_configured).toBe(true);
    const cases: [unknown, string][] = [
      [{ name: "tox2" }, "field `name`: cannot be changed"],
      [{ provider_kind: "built_in" }, "field `provider_kind`: cannot be changed"],
      [{ endpoint_url: null }, "field `endpoint_url`: is required for an HTTP guardrail"],
      [{ modes: null }, "field `modes`"],
      [{ enabled: null }, "field `enabled`"],
      [{ timeout_ms: 0 }, "field `timeout_ms`"],
      [{ runtime_config: [] }, "field `runtime_config`: must be a JSON object"],
      [{ strict: true }, "field `strict`: is not a known field"],
    ];
    for (const [body, message] of cases) {
      await expectError(await send("PATCH", "/admin/guardrails/tox", body), "invalid_admin_payload", message);
    }
  });

  test("pii-redact: its settings are editable; endpoint, token, timeout, kind and deletion are not", async () => {
    const edited = await patch("pii-redact", {
      description: "Our PII filter",
      modes: ["pre_call", "post_call"],
      failure_policy: "fail_open",
      enabled: false,
      default_on: true,
      runtime_config: { restore_output: false },
      config_schema: { type: "object" },
    });
    expect(edited).toMatchObject({
      name: "pii-redact",
      provider_kind: "built_in",
      description: "Our PII filter",
      modes: ["pre_call", "post_call"],
      failure_policy: "fail_open",
      enabled: false,
      default_on: true,
      runtime_config: { restore_output: false },
      endpoint_url: null,
      token_configured: false,
    });
    const cases: [unknown, string][] = [
      [{ endpoint_url: "http://evil.example" }, "field `endpoint_url`: is not available for a built-in guardrail"],
      [{ endpoint_url: null }, "field `endpoint_url`: is not available for a built-in guardrail"],
      [{ bearer_token: TOKEN }, "field `bearer_token`: is not available for a built-in guardrail"],
      [{ bearer_token: null }, "field `bearer_token`"],
      [{ timeout_ms: 500 }, "field `timeout_ms`: is not available for a built-in guardrail"],
      [{ provider_kind: "http" }, "field `provider_kind`: is not available for a built-in guardrail"],
      [{ name: "pii" }, "field `name`: cannot be changed"],
    ];
    for (const [body, message] of cases) {
      await expectError(await send("PATCH", "/admin/guardrails/pii-redact", body), "invalid_admin_payload", message);
    }
    await expectError(await send("DELETE", "/admin/guardrails/pii-redact"), "invalid_admin_payload", "built-in");
    // Back to the seed, which other tests (and the eye) expect.
    const restored = await patch("pii-redact", {
      modes: ["pre_call", "post_call", "during_call"],
      failure_policy: null,
      enabled: true,
      default_on: false,
      runtime_config: { restore_output: true },
    });
    expect(restored).toMatchObject({ failure_policy: "fail_closed", enabled: true, default_on: false });
  });

  test("unknown and malformed names are 404 not_found; DELETE answers 204", async () => {
    for (const name of ["ghost", "Not%20A%20Name", "-x"]) {
      await expectError(await send("PATCH", `/admin/guardrails/${name}`, {}), "not_found");
      await expectError(await send("DELETE", `/admin/guardrails/${name}`), "not_found");
    }
    await create({ name: "doomed", modes: ["pre_call"], endpoint_url: "http://d", bearer_token: TOKEN });
    const res = await send("DELETE", "/admin/guardrails/doomed");
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    await expectError(await send("DELETE", "/admin/guardrails/doomed"), "not_found");
    expect((await list()).map((g) => g.name)).not.toContain("doomed");
  });

  test("list paginates by name; bad cursors and limits are 400; no response ever carried a token", async () => {
    const all = await list();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: Guardrail[]; next_cursor: string | null } = await jsonOf(
        await send("GET", `/admin/guardrails?limit=1${cursor ? `&cursor=${cursor}` : ""}`),
        200,
      );
      expect(page.data.length).toBeLessThanOrEqual(1);
      seen.push(...page.data.map((g) => g.name));
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(seen).toEqual(all.map((g) => g.name));
    await expectError(await send("GET", "/admin/guardrails?limit=0"), "invalid_admin_payload", "field `limit`");
    await expectError(await send("GET", "/admin/guardrails?cursor=%21%21"), "invalid_admin_payload", "field `cursor`");
    await expectError(await send("GET", "/admin/guardrails?name=tox"), "invalid_admin_payload", "field `name`");
    for (const body of bodies) {
      expect(body).not.toContain(TOKEN);
      expect(body).not.toContain(NEW_TOKEN);
      expect(body).not.toContain("bearer_token\":");
    }
  });
});
