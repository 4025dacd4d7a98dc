import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integrationServices } from "../../testing/services.ts";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { call, expectError, ISO, jsonOf, MISSING_ID, UUID } from "./admin-test-helpers.ts";

const services = await integrationServices();

interface Provider {
  id: string;
  kind: string;
  name: string;
  base_url: string;
  enabled: boolean;
  credential_configured: boolean;
  created_at: string;
  updated_at: string;
}

const CREDENTIAL = "sk-provider-credential-never-shown";

describe.skipIf(!services.postgres || !services.redis)("admin providers (PostgreSQL + Redis)", () => {
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
  const create = async (body: unknown) => jsonOf<Provider>(await send("POST", "/admin/providers", body), 201);
  const ok = async (method: string, path: string, body?: unknown): Promise<Provider> =>
    jsonOf(await send(method, path, body), 200);

  test("create: 201, enabled by default, the credential only as credential_configured", async () => {
    const provider = await create({
      kind: "litellm",
      name: "main",
      base_url: "http://litellm:4000",
      credential: CREDENTIAL,
    });
    expect(provider).toEqual({
      id: expect.stringMatching(UUID),
      kind: "litellm",
      name: "main",
      base_url: "http://litellm:4000",
      enabled: true,
      credential_configured: true,
      created_at: expect.stringMatching(ISO),
      updated_at: provider.created_at,
    });
    expect(await ok("GET", `/admin/providers/${provider.id}`)).toEqual(provider);
    const bare = await create({ kind: "internal-service", name: "svc-a", base_url: "https://svc.internal" });
    expect(bare).toMatchObject({ enabled: true, credential_configured: false });
    // internal-service providers may all be enabled.
    const other = await create({ kind: "internal-service", name: "svc-b", base_url: "https://svc-b.internal" });
    expect(other.enabled).toBe(true);
  });

  test("at most one enabled litellm provider: create and enable both answer 409", async () => {
    const message = await expectError(
      await send("POST", "/admin/providers", { kind: "litellm", name: "second", base_url: "http://other:4000" }),
      "duplicate_provider_config",
    );
    expect(message).toContain("already enabled");
    const standby = await create({ kind: "litellm", name: "standby", base_url: "http://other:4000", enabled: false });
    expect(standby.enabled).toBe(false);
    const enable = await send("POST", `/admin/providers/${standby.id}/enable`);
    await expectError(enable, "duplicate_provider_config", "already enabled");
    const patch = await send("PATCH", `/admin/providers/${standby.id}`, { enabled: true });
    await expectError(patch, "duplicate_provider_config", "already enabled");

    const list = await jsonOf<{ data: Provider[] }>(await send("GET", "/admin/providers"), 200);
    const main = list.data.find((p) => p.name === "main")!;
    expect((await ok("POST", `/admin/providers/${main.id}/disable`)).enabled).toBe(false);
    expect((await ok("POST", `/admin/providers/${standby.id}/enable`)).enabled).toBe(true);
    await expectError(await send("POST", `/admin/providers/${main.id}/enable`), "duplicate_provider_config");
  });

  test("duplicate names are 409 duplicate_provider_config", async () => {
    const message = await expectError(
      await send("POST", "/admin/providers", { kind: "internal-service", name: "svc-a", base_url: "http://x" }),
      "duplicate_provider_config",
    );
    expect(message).toContain("name");
    const list = await jsonOf<{ data: Provider[] }>(await send("GET", "/admin/providers"), 200);
    const b = list.data.find((p) => p.name === "svc-b")!;
    const rename = await send("PATCH", `/admin/providers/${b.id}`, { name: "svc-a" });
    await expectError(rename, "duplicate_provider_config", "name");
  });

  test("invalid bodies are 400 invalid_provider_config_payload naming the field", async () => {
    const base = { kind: "internal-service", name: "bad", base_url: "http://ok" };
    const cases: [unknown, string][] = [
      [{ ...base, kind: "openai" }, "field `kind`"],
      [{ ...base, name: "" }, "field `name`: must not be blank"],
      [{ ...base, base_url: "ftp://host" }, "field `base_url`"],
      [{ ...base, base_url: "http://" }, "field `base_url`"],
      [{ ...base, base_url: "HTTP://host" }, "field `base_url`"],
      [{ ...base, base_url: "http://user:pw@host" }, "field `base_url`"],
      [{ ...base, credential: "  " }, "field `credential`: must not be blank"],
      [{ ...base, credential: 12345 }, "field `credential`: must be a string"],
      [{ ...base, enabled: "yes" }, "field `enabled`"],
      [{ ...base, api_key: "x" }, "field `api_key`: is not a known field"],
      [{ kind: "litellm", base_url: "http://ok" }, "field `name`: is required"],
    ];
    for (const [body, message] of cases) {
      const res = await send("POST", "/admin/providers", body);
      const text = await expectError(res, "invalid_provider_config_payload", message);
      expect(text).not.toContain("user:pw");
    }
    const list = await jsonOf<{ data: Provider[] }>(await send("GET", "/admin/providers"), 200);
    await expectError(
      await send("PATCH", `/admin/providers/${list.data[0]!.id}`, { kind: "litellm" }),
      "invalid_provider_config_payload",
      "field `kind`: is not a known field",
    );
  });

  test("PATCH: absent = unchanged, credential null clears it", async () => {
    const provider = await create({
      kind: "internal-service",
      name: "patchy",
      base_url: "http://a",
      credential: CREDENTIAL,
    });
    const patch = (body: unknown) => ok("PATCH", `/admin/providers/${provider.id}`, body);
    expect(await patch({ base_url: "https://b.example/v1" })).toMatchObject({
      name: "patchy",
      base_url: "https://b.example/v1",
      credential_configured: true,
    });
    expect((await patch({ name: "patchy-2" })).credential_configured).toBe(true);
    expect((await patch({ credential: null })).credential_configured).toBe(false);
    expect((await patch({ credential: "new-secret" })).credential_configured).toBe(true);
  });

  test("unknown and non-UUID ids are 404 missing_provider_config; DELETE answers 204", async () => {
    for (const id of [MISSING_ID, "nope"]) {
      await expectError(await send("GET", `/admin/providers/${id}`), "missing_provider_config");
      await expectError(await send("PATCH", `/admin/providers/${id}`, {}), "missing_provider_config");
      await expectError(await send("DELETE", `/admin/providers/${id}`), "missing_provider_config");
      await expectError(await send("POST", `/admin/providers/${id}/enable`), "missing_provider_config");
      await expectError(await send("POST", `/admin/providers/${id}/disable`), "missing_provider_config");
    }
    const doomed = await create({ kind: "internal-service", name: "doomed", base_url: "http://d" });
    const res = await send("DELETE", `/admin/providers/${doomed.id}`);
    expect(res.status).toBe(204);
    await expectError(await send("GET", `/admin/providers/${doomed.id}`), "missing_provider_config");
  });

  test("list paginates; no response ever carried a credential", async () => {
    const all: { data: Provider[] } = await jsonOf(await send("GET", "/admin/providers?limit=1000"), 200);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: Provider[]; next_cursor: string | null } = await jsonOf(
        await send("GET", `/admin/providers?limit=2${cursor ? `&cursor=${cursor}` : ""}`),
        200,
      );
      seen.push(...page.data.map((p) => p.id));
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(seen).toEqual(all.data.map((p) => p.id));
    for (const body of bodies) {
      expect(body).not.toContain(CREDENTIAL);
      expect(body).not.toContain("new-secret");
    }
  });
});
