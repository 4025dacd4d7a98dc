import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { projects, serviceRegistrations, usageEvents } from "../../store/schema.ts";
import { integrationServices } from "../../testing/services.ts";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { call, expectError, ISO, jsonOf, MISSING_ID, registerService, UUID } from "./admin-test-helpers.ts";

const services = await integrationServices();

interface Project {
  id: string;
  name: string;
  service_names: string[];
  created_at: string;
  updated_at: string;
}

describe.skipIf(!services.postgres || !services.redis)("admin projects (PostgreSQL + Redis)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
    for (const name of ["billing", "search", "summarize"]) await registerService(gw, name);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const create = async (body: unknown) => jsonOf<Project>(await call(gw, "POST", "/admin/projects", body), 201);

  test("create answers 201 with the project; names are trimmed, links sorted and deduplicated", async () => {
    const project = await create({ name: "  Alpha  ", service_names: ["search", "billing", "search"] });
    expect(project).toEqual({
      id: expect.stringMatching(UUID),
      name: "Alpha",
      service_names: ["billing", "search"],
      created_at: expect.stringMatching(ISO),
      updated_at: project.created_at,
    });
    expect(await jsonOf<Project>(await call(gw, "GET", `/admin/projects/${project.id}`), 200)).toEqual(project);
    expect((await create({ name: "Beta" })).service_names).toEqual([]);
  });

  test("invalid bodies are 400 invalid_project_payload naming the field", async () => {
    const cases: [unknown, string][] = [
      [{}, "field `name`: is required"],
      [{ name: "   " }, "field `name`: must not be blank"],
      [{ name: "x".repeat(129) }, "field `name`: must be at most 128 characters"],
      [{ name: 42 }, "field `name`: must be a string"],
      [{ name: "Typo", servce_names: [] }, "field `servce_names`: is not a known field"],
      [{ name: "Bad", service_names: ["Not A Name"] }, "field `service_names.0`"],
      [{ name: "Bad", service_names: "billing" }, "field `service_names`: must be an array"],
      [[{ name: "array" }], "payload: must be a JSON object"],
      ["{not json", "not valid JSON"],
      [
        { name: "Ghost", service_names: ["billing", "nope"] },
        'field `service_names`: service "nope" is not registered',
      ],
    ];
    for (const [body, message] of cases) {
      await expectError(await call(gw, "POST", "/admin/projects", body), "invalid_project_payload", message);
    }
    // The failed create with an unknown service left nothing behind (one transaction).
    const all = await jsonOf<{ data: Project[] }>(await call(gw, "GET", "/admin/projects?limit=1000"), 200);
    expect(all.data.map((p) => p.name)).not.toContain("Ghost");
  });

  test("duplicate names are 409 duplicate_project, on create and on rename", async () => {
    await create({ name: "Gamma" });
    const delta = await create({ name: "Delta" });
    await expectError(await call(gw, "POST", "/admin/projects", { name: " Gamma " }), "duplicate_project");
    await expectError(await call(gw, "PATCH", `/admin/projects/${delta.id}`, { name: "Gamma" }), "duplicate_project");
  });

  test("unknown and non-UUID ids are 404 missing_project", async () => {
    for (const id of [MISSING_ID, "not-a-uuid", "1"]) {
      await expectError(await call(gw, "GET", `/admin/projects/${id}`), "missing_project");
      await expectError(await call(gw, "PATCH", `/admin/projects/${id}`, { name: "x" }), "missing_project");
      await expectError(await call(gw, "DELETE", `/admin/projects/${id}`), "missing_project");
      await expectError(await call(gw, "GET", `/admin/projects/${id}/usage`), "missing_project");
    }
  });

  test("PATCH: absent fields stay, service_names replaces the links, null clears them", async () => {
    const project = await create({ name: "Patchy", service_names: ["billing"] });
    const patch = async (body: unknown): Promise<Project> =>
      jsonOf(await call(gw, "PATCH", `/admin/projects/${project.id}`, body), 200);

    const renamed = await patch({ name: "Patchy 2" });
    expect(renamed).toEqual({ ...project, name: "Patchy 2", updated_at: expect.stringMatching(ISO) });
    expect(renamed.updated_at >= project.updated_at).toBe(true);

    expect((await patch({ service_names: ["summarize", "search"] })).service_names).toEqual(["search", "summarize"]);
    expect((await patch({})).service_names).toEqual(["search", "summarize"]);
    expect(await patch({ service_names: null })).toMatchObject({ name: "Patchy 2", service_names: [] });

    await expectError(
      await call(gw, "PATCH", `/admin/projects/${project.id}`, { service_names: ["billing", "nope"] }),
      "invalid_project_payload",
      '"nope" is not registered',
    );
    // The rejected replacement changed nothing.
    expect((await jsonOf<Project>(await call(gw, "GET", `/admin/projects/${project.id}`), 200)).service_names).toEqual(
      [],
    );
    const unnamed = await call(gw, "PATCH", `/admin/projects/${project.id}`, { name: null });
    await expectError(unnamed, "invalid_project_payload", "field `name`: must be a string");
  });

  test("DELETE answers 204; a project with keys or services is 409 project_in_use", async () => {
    const doomed = await create({ name: "Doomed", service_names: ["billing"] });
    const res = await call(gw, "DELETE", `/admin/projects/${doomed.id}`);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    await expectError(await call(gw, "GET", `/admin/projects/${doomed.id}`), "missing_project");

    const keyed = await create({ name: "Keyed" });
    await jsonOf(await call(gw, "POST", "/admin/keys", { owner_type: "project", project_id: keyed.id }), 201);
    await expectError(await call(gw, "DELETE", `/admin/projects/${keyed.id}`), "project_in_use");

    const owning = await create({ name: "Owning" });
    await gw.gateway.database.db
      .insert(serviceRegistrations)
      .values({ name: "owned-svc", routePattern: "/owned-svc", projectId: owning.id });
    await expectError(await call(gw, "DELETE", `/admin/projects/${owning.id}`), "project_in_use");
    expect((await jsonOf<Project>(await call(gw, "GET", `/admin/projects/${owning.id}`), 200)).name).toBe("Owning");
  });

  test("usage: zeros when empty, sums of the project's events, from/to filters", async () => {
    const project = await create({ name: "Metered" });
    const usage = (query = "") => call(gw, "GET", `/admin/projects/${project.id}/usage${query}`);
    const zero = {
      request_count: 0,
      success_count: 0,
      failure_count: 0,
      input_tokens: 0,
      output_tokens: 0,
      total_tokens: 0,
      estimated_cost_usd: 0,
      total_latency_ms: 0,
      fallback_count: 0,
    };
    expect(await jsonOf(await usage(), 200)).toEqual(zero);

    const event = { requestId: "r", projectId: project.id, route: "/v1/chat/completions", statusCode: 200 };
    await gw.gateway.database.db.insert(usageEvents).values([
      {
        ...{ ...event, status: "success", createdAt: new Date("2030-01-01T00:00:00Z") },
        ...{ inputTokens: 10, outputTokens: 5, totalTokens: 15, estimatedCostUsd: 0.1, latencyMs: 100 },
      },
      {
        ...{ ...event, status: "success", createdAt: new Date("2030-01-02T00:00:00Z") },
        ...{ inputTokens: 20, outputTokens: 7, totalTokens: 27, estimatedCostUsd: 0.2, latencyMs: 50, fallbackCount: 1 },
      },
      { ...event, status: "failure", statusCode: 502, latencyMs: 7, createdAt: new Date("2030-01-03T00:00:00Z") },
      // Another project's event: not counted.
      { ...event, projectId: MISSING_ID, status: "success", inputTokens: 1000, createdAt: new Date("2030-01-02T00:00:00Z") },
    ]);
    expect(await jsonOf(await usage(), 200)).toEqual({
      request_count: 3,
      success_count: 2,
      failure_count: 1,
      input_tokens: 30,
      output_tokens: 12,
      total_tokens: 42,
      estimated_cost_usd: 0.3,
      total_latency_ms: 157,
      fallback_count: 1,
    });
    const window = await jsonOf(await usage("?from=2030-01-02T00:00:00Z&to=2030-01-03T00:00:00Z"), 200);
    expect(window).toMatchObject({ request_count: 1, input_tokens: 20, estimated_cost_usd: 0.2, fallback_count: 1 });
    await expectError(await usage("?from=yesterday"), "invalid_admin_payload", "field `from`: must be an RFC 3339");
    await expectError(await usage("?since=2030-01-01T00:00:00Z"), "invalid_admin_payload", "field `since`: is not a known");
  });

  test("pagination: limit=2 walks every project once, in creation order, ties broken by id", async () => {
    for (let i = 0; i < 5; i++) await create({ name: `Paged ${i}` });
    // Three rows sharing one created_at (one statement, one now()).
    await gw.gateway.database.db.insert(projects).values([{ name: "Tied a" }, { name: "Tied b" }, { name: "Tied c" }]);
    const everything: { data: Project[]; next_cursor: null } = await jsonOf(
      await call(gw, "GET", "/admin/projects?limit=1000"),
      200,
    );
    expect(everything.next_cursor).toBeNull();

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : "?limit=2";
      const page: { data: Project[]; next_cursor: string | null } = await jsonOf(
        await call(gw, "GET", `/admin/projects${query}`),
        200,
      );
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((p) => p.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null && pages < 100);
    expect(seen).toEqual(everything.data.map((p) => p.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBe(Math.ceil(seen.length / 2));

    const byDefault = await jsonOf<{ data: Project[] }>(await call(gw, "GET", "/admin/projects"), 200);
    expect(byDefault.data).toEqual(everything.data);
  });

  test("invalid list queries are 400 invalid_admin_payload naming the parameter", async () => {
    for (const limit of ["0", "1001", "abc", "1.5", "-1"]) {
      const res = await call(gw, "GET", `/admin/projects?limit=${limit}`);
      await expectError(res, "invalid_admin_payload", "field `limit`");
    }
    for (const cursor of ["garbage", Buffer.from('["x","y"]').toString("base64url")]) {
      const res = await call(gw, "GET", `/admin/projects?cursor=${cursor}`);
      await expectError(res, "invalid_admin_payload", "field `cursor`");
    }
    await expectError(await call(gw, "GET", "/admin/projects?page=2"), "invalid_admin_payload", "field `page`");
  });
});
