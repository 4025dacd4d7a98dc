import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integrationServices } from "../../testing/services.ts";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { call, expectError, ISO, jsonOf } from "./admin-test-helpers.ts";

const services = await integrationServices();

interface Route {
  route_id: string;
  path: string;
  enabled: boolean;
  updated_at: string;
}

describe.skipIf(!services.postgres || !services.redis)("admin openai-routes (PostgreSQL + Redis)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const list = async (): Promise<{ data: Route[]; next_cursor: null }> =>
    jsonOf(await call(gw, "GET", "/admin/openai-routes"), 200);
  const toggle = async (id: string, action: string): Promise<Route> =>
    jsonOf(await call(gw, "POST", `/admin/openai-routes/${id}/${action}`), 200);
  const updated_at = expect.stringMatching(ISO);

  test("lists the three seeded AI routes, enabled, in contract order", async () => {
    expect(await list()).toEqual({
      data: [
        { route_id: "chat-completions", path: "/v1/chat/completions", enabled: true, updated_at },
        { route_id: "responses", path: "/v1/responses", enabled: true, updated_at },
        { route_id: "embeddings", path: "/v1/embeddings", enabled: true, updated_at },
      ],
      next_cursor: null,
    });
  });

  test("disable and enable answer the route and persist", async () => {
    const disabled = await toggle("embeddings", "disable");
    expect(disabled).toEqual({ route_id: "embeddings", path: "/v1/embeddings", enabled: false, updated_at });
    expect((await list()).data.map((r) => r.enabled)).toEqual([true, true, false]);
    // Idempotent.
    expect((await toggle("embeddings", "disable")).enabled).toBe(false);
    expect((await toggle("embeddings", "enable")).enabled).toBe(true);
    expect((await list()).data.every((r) => r.enabled)).toBe(true);
  });

  test("an unknown route id is 404 not_found", async () => {
    for (const id of ["images", "CHAT-COMPLETIONS", "%20"]) {
      await expectError(await call(gw, "POST", `/admin/openai-routes/${id}/disable`), "not_found");
      await expectError(await call(gw, "POST", `/admin/openai-routes/${id}/enable`), "not_found");
    }
  });
});
