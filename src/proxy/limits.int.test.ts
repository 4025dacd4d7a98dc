import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import OpenAI from "openai";
import { utcDay, utcMonth } from "../core/limits.ts";
import { usageEvents } from "../store/schema.ts";
import { startProxyFixture, type ProxyFixture } from "../testing/proxy-fixture.ts";
import { integrationServices } from "../testing/services.ts";

const services = await integrationServices();
const chat = { model: "m", messages: [{ role: "user" as const, content: "hi" }] };

async function post(fx: ProxyFixture, raw: string, body: Record<string, unknown> = chat) {
  const res = await fetch(`${fx.gw.proxyUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${raw}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

async function ledgerCost(fx: ProxyFixture, keyId: string): Promise<number> {
  await fx.gw.gateway.ledger.flush();
  const [row] = await fx.gw.gateway.database.db
    .select({ total: sql<string>`coalesce(sum(${usageEvents.estimatedCostUsd}), 0)` })
    .from(usageEvents)
    .where(eq(usageEvents.keyId, keyId));
  return Number(row!.total);
}

describe.skipIf(!services.postgres || !services.redis)("rate limits and budgets (PostgreSQL + Redis)", () => {
  let fx: ProxyFixture;
  beforeAll(async () => {
    fx = await startProxyFixture();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  test("RPM 5: the sixth request in the minute is 429 with a correct Retry-After", async () => {
    const key = await fx.key({ policy: { rpmLimit: 5 } });
    for (let i = 0; i < 5; i++) expect((await post(fx, key.raw)).status).toBe(200);
    const denied = await post(fx, key.raw);
    expect(denied.status).toBe(429);
    const retryAfter = Number(denied.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(61);
    expect(denied.body.error).toMatchObject({ code: "rate_limit_exceeded", type: "rate_limit_error", retry_after_seconds: retryAfter });
    // The official SDK surfaces it as a RateLimitError carrying our code.
    const err = await new OpenAI({ apiKey: key.raw, baseURL: `${fx.gw.proxyUrl}/v1`, maxRetries: 0 }).chat.completions
      .create(chat)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err).toMatchObject({ status: 429, code: "rate_limit_exceeded" });
  });

  test("TPM: the unused part of an estimate goes back to the window", async () => {
    const key = await fx.key({ policy: { tpmLimit: 3000 } });
    // Each reserves ~2000 tokens (max_tokens + prompt) but the stub uses ~13.
    for (let i = 0; i < 4; i++) {
      const res = await post(fx, key.raw, { ...chat, max_tokens: 2000 });
      expect(res.status).toBe(200);
      await Bun.sleep(20); // the reconciliation runs after the response
    }
    const tooBig = await post(fx, key.raw, { ...chat, max_tokens: 5000 });
    expect(tooBig.status).toBe(429);
    expect(tooBig.body.error.code).toBe("token_rate_limit_exceeded");
  });

  test("200 concurrent requests against a daily budget of 10 priced requests: at most 11 succeed, counters equal the ledger", async () => {
    const key = await fx.key({ policy: { dailyBudgetUsd: 0.1 } }); // the AI route estimate is 0.01 per request
    const results = await Promise.all(Array.from({ length: 200 }, () => post(fx, key.raw)));
    const statuses = results.map((r) => r.status);
    const ok = statuses.filter((s) => s === 200).length;
    const denied = results.filter((r) => r.status === 402);
    expect({ ok: ok >= 10 && ok <= 11, others: statuses.filter((s) => s !== 200 && s !== 402) }).toEqual({ ok: true, others: [] });
    expect(denied[0]!.body.error).toMatchObject({ code: "budget_exceeded" });
    expect(Number(denied[0]!.headers.get("retry-after"))).toBeGreaterThan(0);
    // Settlements run after the responses: wait until the counters hold them all.
    const ledger = await ledgerCost(fx, key.id);
    expect(ledger).toBeCloseTo(ok * 0.01, 8);
    const expected = Math.round(ledger * 1_000_000);
    let counters = { dailyMicroUsd: -1, monthlyMicroUsd: -1 };
    for (let i = 0; i < 60 && counters.dailyMicroUsd !== expected; i++) {
      const now = Date.now();
      counters = await fx.gw.gateway.counters.spend(key.id, utcDay(now), utcMonth(now), now);
      if (counters.dailyMicroUsd !== expected) await Bun.sleep(50);
    }
    expect(counters).toEqual({ dailyMicroUsd: expected, monthlyMicroUsd: expected });
  });

  test("an operator price per model sets the estimate and the cost when the upstream reports none", async () => {
    const put = await fx.gw.adminFetch("/admin/model-prices/openai/priced-model", {
      method: "PUT",
      body: JSON.stringify({ input_usd_per_million: 1000, output_usd_per_million: 2000 }),
    });
    expect(put.status).toBe(201);
    expect(await put.json()).toMatchObject({ model: "openai/priced-model", input_usd_per_million: 1000, output_usd_per_million: 2000 });
    const key = await fx.key();
    const res = await fetch(`${fx.gw.proxyUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key.raw}` },
      body: JSON.stringify({ ...chat, model: "openai/priced-model" }),
    });
    expect(res.status).toBe(200);
    const usage = ((await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
    const expected = (usage.prompt_tokens * 1000 + usage.completion_tokens * 2000) / 1_000_000;
    expect(await ledgerCost(fx, key.id)).toBeCloseTo(expected, 8);
    const list = (await (await fx.gw.adminFetch("/admin/model-prices")).json()) as { data: { model: string }[] };
    expect(list.data.map((p) => p.model)).toContain("openai/priced-model");
    expect((await fx.gw.adminFetch("/admin/model-prices/openai/priced-model", { method: "DELETE" })).status).toBe(204);
    expect((await fx.gw.adminFetch("/admin/model-prices/openai/priced-model", { method: "DELETE" })).status).toBe(404);
  });
});
