import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { integrationServices } from "../testing/services.ts";
import { newOperatorToken, startTestGateway, type TestGateway } from "../testing/test-gateway.ts";

const services = await integrationServices();

describe.skipIf(!services.postgres || !services.redis)("operator tokens (PostgreSQL + Redis)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const rotate = (token: string) =>
    fetch(`${gw.controlUrl}/admin/operator-token/rotate`, { method: "POST", headers: { authorization: `Bearer ${token}` } });

  async function expect401(res: Response, code: string) {
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body).toEqual({
      error: {
        code,
        type: "authentication_error",
        message: expect.any(String),
        request_id: res.headers.get("x-request-id"),
      },
    });
  }

  test("GATEWAY_ADMIN_TOKEN seeds the token: stored as a digest, never printed", async () => {
    expect(gw.printed).toEqual([]);
    const rows = await gw.gateway.database.db.execute(sql`select token_prefix, token_digest from operator_tokens`);
    const list = [...(rows as unknown as Iterable<{ token_prefix: string; token_digest: string }>)];
    expect(list).toHaveLength(1);
    expect(list[0]!.token_prefix).toBe(gw.operatorToken.slice(0, 16));
    expect(list[0]!.token_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(list)).not.toContain(gw.operatorToken);
  });

  test("missing, malformed and unknown tokens get their own 401 codes", async () => {
    await expect401(await fetch(`${gw.controlUrl}/admin/operator-token/rotate`, { method: "POST" }), "missing_authorization");
    await expect401(
      await fetch(`${gw.controlUrl}/admin/operator-token/rotate`, { method: "POST", headers: { authorization: "Token abc" } }),
      "malformed_authorization",
    );
    await expect401(await rotate("op_live_not-hex"), "malformed_authorization");
    await expect401(await rotate(newOperatorToken()), "invalid_operator_token");
    // Same lookup prefix, different secret: still invalid (the digest decides, not the prefix).
    const samePrefix = gw.operatorToken.slice(0, 16) + "0".repeat(56);
    await expect401(await rotate(samePrefix === gw.operatorToken ? newOperatorToken() : samePrefix), "invalid_operator_token");
  });

  test("rotation returns a working token once; the old one is disabled", async () => {
    const res = await rotate(gw.operatorToken);
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as { token: { id: string; token_prefix: string; created_at: string }; raw_token: string };
    expect(body.raw_token).toMatch(/^op_live_[0-9a-f]{64}$/);
    expect(body.token).toEqual({ id: expect.any(String), token_prefix: body.raw_token.slice(0, 16), created_at: expect.any(String) });

    await expect401(await rotate(gw.operatorToken), "disabled_operator_token");
    const again = await rotate(body.raw_token);
    expect(again.status).toBe(201);
    const next = (await again.json()) as { raw_token: string };
    await expect401(await rotate(body.raw_token), "disabled_operator_token");

    const active = await gw.gateway.database.db.execute(sql`select count(*)::int as n from operator_tokens where revoked_at is null`);
    expect([...(active as unknown as Iterable<{ n: number }>)][0]!.n).toBe(1);
    gw.operatorToken = next.raw_token;
  });

  test("the database itself refuses a second active token", async () => {
    const insert = async () =>
      await gw.gateway.database.db.execute(
        sql`insert into operator_tokens (token_prefix, token_digest) values ('op_live_00000000', ${"a".repeat(64)})`,
      );
    await expect(insert()).rejects.toThrow();
  });

  test("last_used_at is tracked in memory and written by the periodic flush, not per request", async () => {
    const token = gw.operatorToken;
    const before = gw.gateway.database.stats.queries;
    for (let i = 0; i < 5; i++) await fetch(`${gw.controlUrl}/admin/unknown`, { headers: { authorization: `Bearer ${token}` } });
    // One lookup per request, and no write.
    expect(gw.gateway.database.stats.queries - before).toBe(5);
    const read = async () => {
      const rows = await gw.gateway.database.db.execute(
        sql`select last_used_at from operator_tokens where revoked_at is null`,
      );
      return [...(rows as unknown as Iterable<{ last_used_at: Date | null }>)][0]!.last_used_at;
    };
    expect(await read()).toBeNull();
    await gw.gateway.flushLastUsed();
    expect(await read()).not.toBeNull();
  });

  test("an authenticated request to an unknown admin route is a 404 envelope", async () => {
    const res = await gw.adminFetch("/admin/nothing-here");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unsupported_route");
  });
});
