import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { digestCredential } from "../../core/credentials.ts";
import { usageEvents } from "../../store/schema.ts";
import { integrationServices } from "../../testing/services.ts";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { call, expectError, ISO, jsonOf, registerService, UUID } from "./admin-test-helpers.ts";

const services = await integrationServices();

type Key = Record<string, unknown> & {
  id: string;
  policy: Record<string, unknown>;
  guardrail_policy: Record<string, unknown>;
};

const DEFAULT_POLICY = {
  allowed_routes: ["/v1/chat/completions", "/v1/responses"],
  allowed_models: [],
  allowed_providers: ["litellm"],
  allowed_services: null,
  rpm_limit: null,
  tpm_limit: null,
  daily_budget_usd: null,
  monthly_budget_usd: null,
  allow_streaming: false,
  allow_tools: false,
};
const DEFAULT_GUARDRAILS = {
  mandatory_guardrails: [],
  optional_guardrails: [],
  forbidden_guardrails: [],
  guardrail_config_overrides: {},
};

describe.skipIf(!services.postgres || !services.redis)("admin keys (PostgreSQL + Redis)", () => {
  let gw: TestGateway;
  let projectId: string;
  /** Every response body after a create, to prove no raw key or digest ever leaks. */
  const bodies: string[] = [];
  const rawKeys: string[] = [];

  beforeAll(async () => {
    gw = await startTestGateway();
    for (const name of ["billing", "search"]) await registerService(gw, name);
    // Key policies may only name catalog guardrails (contract 8).
    const guardrail = { name: "secret-scan", modes: ["pre_call"], endpoint_url: "http://guard.internal/scan" };
    await jsonOf(await call(gw, "POST", "/admin/guardrails", guardrail), 201);
    const project = await call(gw, "POST", "/admin/projects", { name: "Keys", service_names: ["billing"] });
    projectId = (await jsonOf<{ id: string }>(project, 201)).id;
  });
  afterAll(async () => {
    await gw?.stop();
  });

  async function send(method: string, path: string, body?: unknown): Promise<Response> {
    const res = await call(gw, method, path, body);
    const text = await res.clone().text();
    bodies.push(text);
    return res;
  }
  const ok = async (method: string, path: string, body?: unknown) => jsonOf<Key>(await send(method, path, body), 200);
  async function create(body: unknown): Promise<{ key: Key; raw_key: string }> {
    const res = await call(gw, "POST", "/admin/keys", body);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const created = await jsonOf<{ key: Key; raw_key: string }>(res, 201);
    rawKeys.push(created.raw_key);
    return created;
  }

  test("create: 201 with the Key and the raw key once; only digest and prefix are stored", async () => {
    const { key, raw_key } = await create({ owner_type: "individual" });
    expect(raw_key).toMatch(/^rk_live_[0-9a-f]{64}$/);
    expect(key).toEqual({
      id: expect.stringMatching(UUID),
      owner_type: "individual",
      project_id: null,
      service_names: [],
      key_prefix: raw_key.slice(0, 16),
      name: null,
      disabled: false,
      revoked_at: null,
      expires_at: null,
      policy: DEFAULT_POLICY,
      guardrail_policy: DEFAULT_GUARDRAILS,
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
    const rows = await gw.gateway.database.db.execute(
      sql`select row_to_json(k)::text as row from api_keys k where id = ${key.id}`,
    );
    const row = [...(rows as unknown as Iterable<{ row: string }>)][0]!.row;
    expect(row).toContain(digestCredential(raw_key));
    expect(row).not.toContain(raw_key);
    expect(await ok("GET", `/admin/keys/${key.id}`)).toEqual(key);
  });

  test("create with everything: policy merged over the defaults, links, expiry, guardrails", async () => {
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const { key } = await create({
      owner_type: "individual",
      name: "  ci bot ",
      service_names: ["search", "billing", "search"],
      expires_at: expires,
      policy: { rpm_limit: 60, daily_budget_usd: 1.5, allowed_models: ["gpt-4o-mini"], allow_streaming: true },
      guardrail_policy: {
        mandatory_guardrails: ["pii-redact"],
        guardrail_config_overrides: { "pii-redact": { mode: "mask" } },
      },
    });
    expect(key).toMatchObject({
      name: "ci bot",
      service_names: ["billing", "search"],
      expires_at: expires,
      policy: {
        ...DEFAULT_POLICY,
        rpm_limit: 60,
        daily_budget_usd: 1.5,
        allowed_models: ["gpt-4o-mini"],
        allow_streaming: true,
      },
      guardrail_policy: {
        ...DEFAULT_GUARDRAILS,
        mandatory_guardrails: ["pii-redact"],
        guardrail_config_overrides: { "pii-redact": { mode: "mask" } },
      },
    });
  });

  test("project keys show their project's links, live", async () => {
    const { key } = await create({ owner_type: "project", project_id: projectId });
    expect(key).toMatchObject({ owner_type: "project", project_id: projectId, service_names: ["billing"] });
    const relink = await call(gw, "PATCH", `/admin/projects/${projectId}`, { service_names: ["search", "billing"] });
    await jsonOf(relink, 200);
    expect((await ok("GET", `/admin/keys/${key.id}`)).service_names).toEqual(["billing", "search"]);
  });

  test("PATCH: absent = unchanged, null = clear, policy merged field by field", async () => {
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const { key } = await create({
      owner_type: "individual",
      name: "patchy",
      expires_at: expires,
      service_names: ["billing"],
      policy: { rpm_limit: 10, tpm_limit: 1000, allowed_models: ["a", "b"], monthly_budget_usd: 20 },
      guardrail_policy: { forbidden_guardrails: ["secret-scan"] },
    });
    const patch = (body: unknown) => ok("PATCH", `/admin/keys/${key.id}`, body);

    expect(await patch({})).toMatchObject({
      name: "patchy",
      expires_at: expires,
      policy: key.policy,
      service_names: ["billing"],
    });
    expect((await patch({ expires_at: null })).expires_at).toBeNull();
    const cleared = await patch({ policy: { rpm_limit: null } });
    expect(cleared.policy).toEqual({ ...key.policy, rpm_limit: null });
    const changes = { allowed_models: ["c"], allow_tools: true, monthly_budget_usd: 0.12345678 };
    const replaced = await patch({ policy: changes });
    expect(replaced.policy).toEqual({ ...key.policy, rpm_limit: null, ...changes });
    const reset = (await patch({ policy: { allowed_routes: null } })).policy;
    expect(reset.allowed_routes).toEqual(DEFAULT_POLICY.allowed_routes);
    expect((await patch({ name: null })).name).toBeNull();
    expect((await patch({ service_names: ["search"] })).service_names).toEqual(["search"]);
    expect((await patch({ service_names: null })).service_names).toEqual([]);

    // Guardrail policy merges too; the merged result is what gets judged.
    expect((await patch({ guardrail_policy: { optional_guardrails: ["pii-redact"] } })).guardrail_policy).toEqual({
      ...DEFAULT_GUARDRAILS,
      optional_guardrails: ["pii-redact"],
      forbidden_guardrails: ["secret-scan"],
    });
    await expectError(
      await send("PATCH", `/admin/keys/${key.id}`, { guardrail_policy: { mandatory_guardrails: ["secret-scan"] } }),
      "invalid_admin_payload",
      "field `guardrail_policy.mandatory_guardrails`",
    );
    await expectError(
      await send("PATCH", `/admin/keys/${key.id}`, { expires_at: "2001-01-01T00:00:00Z" }),
      "invalid_admin_payload",
      "field `expires_at`",
    );
    const ownerChange = await send("PATCH", `/admin/keys/${key.id}`, { owner_type: "project" });
    await expectError(ownerChange, "invalid_admin_payload", "field `owner_type`: is not a known field");
    const ghost = await send("PATCH", `/admin/keys/${key.id}`, { service_names: ["ghost"] });
    await expectError(ghost, "invalid_admin_payload", '"ghost"');

    const defaults = await patch({ policy: null, guardrail_policy: null });
    expect(defaults.policy).toEqual(DEFAULT_POLICY);
    expect(defaults.guardrail_policy).toEqual(DEFAULT_GUARDRAILS);
  });

  test("project keys refuse their own service_names on PATCH", async () => {
    const { key } = await create({ owner_type: "project", project_id: projectId });
    await expectError(
      await send("PATCH", `/admin/keys/${key.id}`, { service_names: ["search"] }),
      "invalid_admin_payload",
      "field `service_names`: project keys inherit their project's services",
    );
  });

  test("disable, enable, revoke; a revoked key is permanent", async () => {
    const { key } = await create({ owner_type: "individual" });
    expect((await ok("POST", `/admin/keys/${key.id}/disable`)).disabled).toBe(true);
    expect((await ok("POST", `/admin/keys/${key.id}/disable`)).disabled).toBe(true);
    expect((await ok("POST", `/admin/keys/${key.id}/enable`)).disabled).toBe(false);
    const revoked = await ok("POST", `/admin/keys/${key.id}/revoke`);
    expect(revoked.revoked_at).toMatch(ISO);
    expect(await ok("POST", `/admin/keys/${key.id}/revoke`)).toEqual(revoked);
    for (const [method, path, body] of [
      ["POST", "enable", undefined],
      ["POST", "disable", undefined],
      ["PATCH", "", { name: "again" }],
    ] as const) {
      await expectError(
        await send(method, `/admin/keys/${key.id}${path ? `/${path}` : ""}`, body),
        "invalid_admin_payload",
        "revocation is permanent",
      );
    }
    expect(await ok("GET", `/admin/keys/${key.id}`)).toEqual(revoked);
  });

  test("list filters: project_id, owner_type, status", async () => {
    const other = await jsonOf<{ id: string }>(await call(gw, "POST", "/admin/projects", { name: "Filters" }), 201);
    const active = (await create({ owner_type: "project", project_id: other.id })).key;
    const disabled = (await create({ owner_type: "project", project_id: other.id })).key;
    const revoked = (await create({ owner_type: "project", project_id: other.id })).key;
    const expired = (await create({ owner_type: "project", project_id: other.id })).key;
    await ok("POST", `/admin/keys/${disabled.id}/disable`);
    await ok("POST", `/admin/keys/${revoked.id}/revoke`);
    await gw.gateway.database.db.execute(
      sql`update api_keys set expires_at = now() - interval '1 hour' where id = ${expired.id}`,
    );

    const ids = async (query: string) => {
      const page = await jsonOf<{ data: Key[] }>(await send("GET", `/admin/keys?project_id=${other.id}&${query}`), 200);
      return page.data.map((k) => k.id);
    };
    expect(await ids("")).toEqual([active.id, disabled.id, revoked.id, expired.id]);
    expect(await ids("status=active")).toEqual([active.id]);
    expect(await ids("status=disabled")).toEqual([disabled.id]);
    expect(await ids("status=revoked")).toEqual([revoked.id]);
    expect(await ids("status=expired")).toEqual([expired.id]);
    expect(await ids("owner_type=individual")).toEqual([]);

    const individuals: { data: Key[] } = await jsonOf(await send("GET", "/admin/keys?owner_type=individual&limit=1000"), 200);
    expect(individuals.data.length).toBeGreaterThan(0);
    expect(individuals.data.every((k) => k.owner_type === "individual")).toBe(true);

    await expectError(await send("GET", "/admin/keys?status=paused"), "invalid_admin_payload", "field `status`");
    await expectError(await send("GET", "/admin/keys?project_id=abc"), "invalid_admin_payload", "field `project_id`");
    await expectError(await send("GET", "/admin/keys?owner=project"), "invalid_admin_payload", "field `owner`");
  });

  test("pagination: 5 keys, limit=2, every key once", async () => {
    const project: { id: string } = await jsonOf(await call(gw, "POST", "/admin/projects", { name: "Paged keys" }), 201);
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await create({ owner_type: "project", project_id: project.id })).key.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/admin/keys?project_id=${project.id}&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await jsonOf<{ data: Key[]; next_cursor: string | null }>(await send("GET", query), 200);
      seen.push(...page.data.map((k) => k.id));
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(seen).toEqual(created);
  });

  test("usage sums the key's events", async () => {
    const { key } = await create({ owner_type: "individual" });
    await gw.gateway.database.db.insert(usageEvents).values([
      {
        ...{ requestId: "a", keyId: key.id, route: "/v1/responses", status: "success", statusCode: 200 },
        ...{ inputTokens: 3, outputTokens: 4, totalTokens: 7, estimatedCostUsd: 0.00000001 },
      },
      { requestId: "b", keyId: key.id, route: "/v1/responses", status: "failure", statusCode: 429, latencyMs: 2 },
    ]);
    expect(await jsonOf(await send("GET", `/admin/keys/${key.id}/usage`), 200)).toEqual({
      request_count: 2,
      success_count: 1,
      failure_count: 1,
      input_tokens: 3,
      output_tokens: 4,
      total_tokens: 7,
      estimated_cost_usd: 0.00000001,
      total_latency_ms: 2,
      fallback_count: 0,
    });
    const before: Record<string, number> = await jsonOf(
      await send("GET", `/admin/keys/${key.id}/usage?to=2000-01-01T00:00:00Z`),
      200,
    );
    expect(before.request_count).toBe(0);
  });

  test("no response ever carried a raw key or a digest (besides its own create)", async () => {
    const all = await jsonOf<{ data: Key[] }>(await send("GET", "/admin/keys?limit=1000"), 200);
    expect(all.data.length).toBe(rawKeys.length);
    expect(bodies.length).toBeGreaterThan(30);
    for (const raw of rawKeys) {
      for (const body of bodies) {
        expect(body).not.toContain(raw);
        expect(body).not.toContain(digestCredential(raw));
        expect(body).not.toContain("key_digest");
      }
    }
  });
});
