import { afterAll, describe, expect, test } from "bun:test";
import type { Command, Redis } from "ioredis";
import { createRedisClient, pingRedis } from "../redis.ts";
import { T0, describeCountersContract } from "./counters.contract.ts";
import { createMemoryCounters } from "./memory-counters.ts";
import { createRedisCounters } from "./redis-counters.ts";
import type { AdmitRequest, AdmitVerdict, CountersStore, Reservation } from "./types.ts";
import { ReservationMismatchError } from "./validate.ts";

const url = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const filePrefix = `test:${crypto.randomUUID()}:`;
const client = createRedisClient(url);
const reachable = await pingRedis(client, 2_000).then(
  () => true,
  () => false,
);
if (!reachable && !process.env.CI) {
  console.warn("⚠️  SKIPPING redis-counters.int.test.ts: Redis unreachable at TEST_REDIS_URL (CI=1 fails instead)");
}

async function deleteKeys(pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 500);
    if (keys.length > 0) await client.unlink(...keys);
    cursor = next;
  } while (cursor !== "0");
}

afterAll(async () => {
  if (reachable) await deleteKeys(`${filePrefix}*`);
  client.disconnect();
});

/** Every command this client sends, as ioredis finally wrote it (eval vs evalsha). */
function recordCommands(redis: Redis): { sent: Command[]; stop: () => void } {
  const sent: Command[] = [];
  const original = redis.sendCommand;
  redis.sendCommand = function (this: Redis, command: Command, ...rest: unknown[]) {
    sent.push(command);
    return (original as (...args: unknown[]) => unknown).call(this, command, ...rest);
  } as typeof redis.sendCommand;
  return { sent, stop: () => void (redis.sendCommand = original) };
}

const request = (over: Partial<AdmitRequest>): AdmitRequest => ({
  keyId: "k",
  reservationId: crypto.randomUUID(),
  rpmLimit: 100,
  tpmLimit: 10_000,
  estimatedTokens: 100,
  dailyBudgetMicroUsd: 1_000_000,
  monthlyBudgetMicroUsd: 10_000_000,
  estimatedCostMicroUsd: 1_000,
  nowMs: T0,
  requireSeeded: false,
  ...over,
});

describe.skipIf(!reachable && !process.env.CI)("redis counters", () => {
  let stores = 0;
  describeCountersContract("redis", async () => {
    const prefix = `${filePrefix}${++stores}:`;
    return { store: createRedisCounters(client, { prefix }), cleanup: () => deleteKeys(`${prefix}*`) };
  });

  test("admit is one round trip; admits and settlements arriving together go out as one command", async () => {
    const redis = createRedisClient(url);
    await pingRedis(redis, 2_000);
    const store = createRedisCounters(redis, { prefix: `${filePrefix}trips:` });
    const { sent, stop } = recordCommands(redis);
    try {
      const reservations: Reservation[] = [];
      for (let i = 0; i < 20; i++) {
        const verdict = await store.admit(request({ nowMs: T0 + i }));
        expect(sent.length).toBe(1 + i);
        if (!verdict.ok) throw new Error("expected admission");
        reservations.push(verdict.reservation);
      }
      expect(sent[0]!.name).toBe("eval");
      expect(sent.slice(1).every((c) => c.name === "evalsha")).toBe(true);
      // Settled by 20 requests finishing at about the same time: one script call for all.
      await Promise.all(reservations.map((r) => store.settle(r, { tokens: 50, costMicroUsd: 500 }, T0 + 30)));
      expect(sent.length).toBe(21);
      expect(sent[20]!.name).toBe("evalsha"); // the admits' script: settlements and admits are one
      expect(await store.spend("k", "2030-01-15", "2030-01", T0 + 30)).toEqual({
        dailyMicroUsd: 20 * 500,
        monthlyMicroUsd: 20 * 500,
      });
      // Admits arriving together share one script call, each decided in turn.
      const together = await Promise.all(
        Array.from({ length: 12 }, (_, i) => store.admit(request({ rpmLimit: 30, nowMs: T0 + 40 + i }))),
      );
      expect(sent.length).toBe(23);
      expect(together.filter((v) => v.ok).length).toBe(10);
      expect(together.slice(10).every((v) => !v.ok && v.reason === "rpm")).toBe(true);
    } finally {
      stop();
      redis.disconnect();
    }
  });

  test("queued settlements ride with the key's next admit: one command, applied before it decides", async () => {
    const redis = createRedisClient(url);
    await pingRedis(redis, 2_000);
    // The delay is never reached: only an admit can send these settlements.
    const store = createRedisCounters(redis, { prefix: `${filePrefix}carry:`, settleDelayMs: 60_000 });
    const budget = { rpmLimit: null, tpmLimit: 1_000, estimatedTokens: 500, dailyBudgetMicroUsd: 2_000, estimatedCostMicroUsd: 1_000 };
    const { sent, stop } = recordCommands(redis);
    try {
      const held = await Promise.all([1, 2].map((i) => store.admit(request({ ...budget, nowMs: T0 + i }))));
      expect(sent.length).toBe(1);
      const settled = held.map((v) => {
        if (!v.ok) throw new Error("expected admission");
        return store.settle(v.reservation, { tokens: 100, costMicroUsd: 300 }, T0 + 10);
      });
      // Without the settlements both the tokens and the budget would be exhausted.
      const next = await store.admit(request({ ...budget, nowMs: T0 + 20 }));
      expect(next.ok).toBe(true);
      await Promise.all(settled);
      expect(sent.length).toBe(2);
      // Applied once: a repeat carried by the next admit is a no-op.
      const repeat = held.map((v) => v.ok && store.release(v.reservation, T0 + 30));
      expect((await store.admit(request({ ...budget, estimatedTokens: 0, estimatedCostMicroUsd: 0, nowMs: T0 + 30 }))).ok).toBe(true);
      await Promise.all(repeat);
      expect(sent.length).toBe(3);
      expect(await store.spend("k", "2030-01-15", "2030-01", T0 + 40)).toEqual({ dailyMicroUsd: 1_600, monthlyMicroUsd: 1_600 });
    } finally {
      stop();
      await store.close();
      redis.disconnect();
    }
  });

  test("a tampered settlement carried by an admit fails alone; a failed call fails what it carried", async () => {
    const redis = createRedisClient(url);
    await pingRedis(redis, 2_000);
    const store = createRedisCounters(redis, { prefix: `${filePrefix}carryfail:`, settleDelayMs: 60_000 });
    try {
      const first = await store.admit(request({}));
      if (!first.ok) throw new Error("expected admission");
      const tampered = store.settle({ ...first.reservation, day: "2030-01-16" }, { tokens: 0, costMicroUsd: 0 }, T0 + 1);
      expect((await store.admit(request({ nowMs: T0 + 2 }))).ok).toBe(true);
      await expect(tampered).rejects.toThrow(ReservationMismatchError);
      const queued = store.settle(first.reservation, { tokens: 0, costMicroUsd: 10 }, T0 + 3).catch((err: Error) => err);
      redis.disconnect();
      await expect(store.admit(request({ nowMs: T0 + 4 }))).rejects.toThrow();
      expect(await queued).toBeInstanceOf(Error);
    } finally {
      redis.disconnect();
    }
  });

  test("a batch alone in its turn is written directly; several keys' batches in one turn share a pipeline", async () => {
    const redis = createRedisClient(url);
    await pingRedis(redis, 2_000);
    const store = createRedisCounters(redis, { prefix: `${filePrefix}alone:` });
    const piped: boolean[] = [];
    const original = redis.sendCommand;
    redis.sendCommand = function (this: Redis, command: Command, ...rest: unknown[]) {
      if (command.name.startsWith("eval")) piped.push((rest[0] as { isPipeline?: boolean } | undefined)?.isPipeline === true);
      return (original as (...args: unknown[]) => unknown).call(this, command, ...rest);
    } as typeof redis.sendCommand;
    try {
      const one = await Promise.all([store.admit(request({ keyId: "a" })), store.admit(request({ keyId: "a" }))]);
      expect(piped).toEqual([false]);
      const two = await Promise.all([store.admit(request({ keyId: "a" })), store.admit(request({ keyId: "b" }))]);
      expect(piped).toEqual([false, true, true]);
      await Promise.all([...one, ...two].map((v) => v.ok && store.release(v.reservation, T0)));
      expect(piped).toEqual([false, true, true, true, true]);
      expect([...one, ...two].every((v) => v.ok)).toBe(true);
    } finally {
      redis.sendCommand = original;
      redis.disconnect();
    }
  });

  test("a key's batch is sent at once when it reaches settleMaxBatch", async () => {
    const store = createRedisCounters(client, { prefix: `${filePrefix}maxbatch:`, settleDelayMs: 60_000, settleMaxBatch: 3 });
    const admitted = await Promise.all([1, 2, 3].map((i) => store.admit(request({ nowMs: T0 + i }))));
    const settled = admitted.map((v) => {
      if (!v.ok) throw new Error("expected admission");
      return store.settle(v.reservation, { tokens: 1, costMicroUsd: 100 }, T0 + 10);
    });
    // Resolves long before the 60 s delay: the third settlement filled the batch.
    await Promise.all(settled);
    await store.close();
  });

  test("close() sends the queued settlements", async () => {
    const prefix = `${filePrefix}close:`;
    const store = createRedisCounters(client, { prefix, settleDelayMs: 60_000 });
    const verdict = await store.admit(request({}));
    if (!verdict.ok) throw new Error("expected admission");
    const settled = store.settle(verdict.reservation, { tokens: 1, costMicroUsd: 250 }, T0 + 1);
    await store.close();
    await settled;
    const other = createRedisCounters(client, { prefix });
    expect(await other.spend("k", "2030-01-15", "2030-01", T0 + 2)).toEqual({ dailyMicroUsd: 250, monthlyMicroUsd: 250 });
  });

  test("a process that dies with settlements queued: its reservations count until they expire (1 h)", async () => {
    const prefix = `${filePrefix}dead:`;
    const dying = createRedisClient(url);
    await pingRedis(dying, 2_000);
    const doomed = createRedisCounters(dying, { prefix, settleDelayMs: 60_000 });
    const budget = { rpmLimit: null, tpmLimit: null, monthlyBudgetMicroUsd: null, dailyBudgetMicroUsd: 3_000 };
    const verdicts = [];
    for (let i = 0; i < 3; i++) verdicts.push(await doomed.admit(request({ ...budget, nowMs: T0 + i })));
    for (const verdict of verdicts) {
      if (!verdict.ok) throw new Error("expected admission");
      doomed.settle(verdict.reservation, { tokens: 1, costMicroUsd: 1_000 }, T0 + 10).catch(() => {});
    }
    dying.disconnect(); // the queued batch never leaves

    const survivor = createRedisCounters(client, { prefix });
    expect(await survivor.admit(request({ ...budget, nowMs: T0 + 20 }))).toMatchObject({ ok: false, reason: "daily_budget" });
    const expired = T0 + 2 + 3_600_000 + 1;
    expect(await survivor.spend("k", "2030-01-15", "2030-01", expired)).toEqual({ dailyMicroUsd: 0, monthlyMicroUsd: 0 });
    expect((await survivor.admit(request({ ...budget, nowMs: expired }))).ok).toBe(true);
    expect(await survivor.spend("k", "2030-01-15", "2030-01", expired)).toEqual({ dailyMicroUsd: 1_000, monthlyMicroUsd: 1_000 });
  });

  test("every key sits under the prefix with a {keyId} hash tag and a TTL", async () => {
    const prefix = `${filePrefix}layout:`;
    const store = createRedisCounters(client, { prefix });
    const verdict = await store.admit(request({ keyId: "key-a" }));
    if (!verdict.ok) throw new Error("expected admission");
    await store.settle(verdict.reservation, { tokens: 10, costMicroUsd: 700 }, T0 + 5);
    await store.admit(request({ keyId: "key-a", nowMs: T0 + 6 }));
    await store.seedKey({ keyId: "key-a", day: "2030-01-15", month: "2030-01", dailyMicroUsd: 700, monthlyMicroUsd: 700 }, T0 + 7);
    const [, keys] = await client.scan("0", "MATCH", `${prefix}*`, "COUNT", 1_000);
    expect(keys.sort()).toEqual([`${prefix}{key-a}:s`, `${prefix}{key-a}:x`]);
    for (const key of keys) {
      const ttl = await client.pttl(key);
      expect(ttl).toBeGreaterThan(61 * 86_400_000);
      expect(ttl).toBeLessThanOrEqual(62 * 86_400_000);
    }
    const state = await client.hgetall(`${prefix}{key-a}:s`);
    expect(state).toEqual({
      w: String(T0),
      n: "2",
      t: "110",
      pn: "0",
      pt: "0",
      "sd:2030-01-15": "700",
      "sm:2030-01": "700",
      "rd:2030-01-15": "1000",
      "rm:2030-01": "1000",
      seeded: String(T0 + 7 + 6 * 3_600_000),
      e: String(T0 + 6 + 3_600_000),
      d: "2030-01-15",
      xr: String(T0 + 6),
    });
  });

  test("200 admits over 4 connections against a budget of 10 estimates: at most 11 pass", async () => {
    const prefix = `${filePrefix}multi:`;
    const clients = Array.from({ length: 4 }, () => createRedisClient(url));
    try {
      await Promise.all(clients.map((c) => pingRedis(c, 2_000)));
      const stores = clients.map((c) => createRedisCounters(c, { prefix }));
      // 10.5 estimates: the 11th admit sees 10 000 < 10 500 and may cross; the 12th may not
      const budget = { rpmLimit: null, tpmLimit: null, monthlyBudgetMicroUsd: null, dailyBudgetMicroUsd: 10_500 };
      const verdicts = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          stores[i % 4]!.admit(request({ ...budget, estimatedCostMicroUsd: 1_000 })),
        ),
      );
      expect(verdicts.filter((v) => v.ok).length).toBe(11);
    } finally {
      for (const c of clients) c.disconnect();
    }
  });

  test("the Lua script and the memory twin decide identically on a random workload", async () => {
    const stores: CountersStore[] = [
      createMemoryCounters(),
      createRedisCounters(client, { prefix: `${filePrefix}parity:` }),
    ];
    let seed = 42;
    const rand = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    const open: Reservation[][] = [[], []];
    let now = T0 + 55_000;
    for (let step = 0; step < 400; step++) {
      now += rand(3) === 0 ? rand(20_000) : rand(500);
      const action = rand(10);
      if (action < 7 || open[0]!.length === 0) {
        const req = request({
          keyId: `k${rand(3)}`,
          rpmLimit: [null, 3, 20][rand(3)]!,
          tpmLimit: [null, 500, 3_000][rand(3)]!,
          estimatedTokens: rand(600),
          dailyBudgetMicroUsd: [null, 5_000, 50_000][rand(3)]!,
          monthlyBudgetMicroUsd: [null, 30_000][rand(2)]!,
          estimatedCostMicroUsd: rand(2_000),
          nowMs: now,
        });
        const verdicts: AdmitVerdict[] = await Promise.all(stores.map((s) => s.admit(req)));
        expect(verdicts[1]).toEqual(verdicts[0]!);
        verdicts.forEach((v, i) => v.ok && open[i]!.push(v.reservation));
      } else {
        const at = rand(open[0]!.length);
        const actual = { tokens: rand(800), costMicroUsd: rand(3_000) };
        const settle = action < 9;
        await Promise.all(
          stores.map((s, i) => {
            const [res] = open[i]!.splice(at, 1);
            return settle ? s.settle(res!, actual, now) : s.release(res!, now);
          }),
        );
      }
    }
    for (const keyId of ["k0", "k1", "k2"]) {
      const spends = await Promise.all(stores.map((s) => s.spend(keyId, "2030-01-15", "2030-01", now)));
      expect(spends[1]).toEqual(spends[0]!);
    }
  });

  test("admits sent together decide exactly as the memory twin deciding them one by one", async () => {
    const stores: CountersStore[] = [
      createMemoryCounters(),
      createRedisCounters(client, { prefix: `${filePrefix}together:`, admitMaxBatch: 16 }),
    ];
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    const requests: AdmitRequest[] = [];
    // Across a minute boundary, with repeated ids and budgets that run out midway.
    for (let i = 0; i < 60; i++) {
      if (i % 17 === 16) {
        requests.push({ ...requests[i - 1]! }); // the same admit twice
        continue;
      }
      requests.push(
        request({
          keyId: "k",
          reservationId: `r-${i}`,
          rpmLimit: 40,
          tpmLimit: 5_000,
          estimatedTokens: rand(300),
          dailyBudgetMicroUsd: 30_000,
          monthlyBudgetMicroUsd: null,
          estimatedCostMicroUsd: rand(1_500),
          nowMs: T0 + 59_970 + i,
        }),
      );
    }
    const outcomes = await Promise.all(
      stores.map(async (store) => {
        const settled = await Promise.allSettled(requests.map((r) => store.admit(r)));
        return settled.map((o) => (o.status === "fulfilled" ? o.value : `rejected: ${String(o.reason)}`));
      }),
    );
    expect(outcomes[1]).toEqual(outcomes[0]!);
    expect(outcomes[0]!.filter((o) => typeof o === "string").length).toBeGreaterThan(0);
    expect(outcomes[0]!.filter((o) => typeof o !== "string" && !o.ok).length).toBeGreaterThan(0);
    for (const store of stores) await store.close();
  });

  test("admits sent together with limits changing midway and across a month's end decide as the twin", async () => {
    // The script reuses the previous request's parsed limits and field names while they repeat.
    const stores: CountersStore[] = [
      createMemoryCounters(),
      createRedisCounters(client, { prefix: `${filePrefix}mixed:`, admitMaxBatch: 64 }),
    ];
    const end = Date.UTC(2030, 0, 31, 23, 59, 59, 980);
    for (const store of stores) {
      await store.seedKey({ keyId: "k", day: "2030-01-31", month: "2030-01", dailyMicroUsd: 0, monthlyMicroUsd: 0 }, end - 1);
      await store.seedKey({ keyId: "k", day: "2030-02-01", month: "2030-02", dailyMicroUsd: 0, monthlyMicroUsd: 0 }, end - 1);
    }
    const requests = Array.from({ length: 40 }, (_, i) =>
      request({
        keyId: "k",
        reservationId: `m-${i}`,
        rpmLimit: i % 5 === 4 ? 12 : 35,
        tpmLimit: i % 3 === 0 ? null : 6_000,
        estimatedTokens: 150 + i * 7,
        dailyBudgetMicroUsd: i % 4 === 1 ? 2_000 : 25_000,
        monthlyBudgetMicroUsd: i % 6 === 5 ? null : 40_000,
        estimatedCostMicroUsd: 900 + i * 13,
        nowMs: end + i,
        requireSeeded: i % 2 === 0,
      }),
    );
    const outcomes = await Promise.all(stores.map((store) => Promise.all(requests.map((r) => store.admit(r)))));
    expect(outcomes[1]).toEqual(outcomes[0]!);
    const reasons = new Set(outcomes[0]!.map((v) => (v.ok ? "ok" : v.reason)));
    expect([...reasons].sort()).toEqual(["daily_budget", "ok", "rpm", "tpm"]);
    for (const [day, month] of [["2030-01-31", "2030-01"], ["2030-02-01", "2030-02"]] as const) {
      const spends = await Promise.all(stores.map((s) => s.spend("k", day, month, end + 40)));
      expect(spends[1]).toEqual(spends[0]!);
    }
    for (const store of stores) await store.close();
  });

  test("a prefix with braces is refused", () => {
    expect(() => createRedisCounters(client, { prefix: "x{y}:" })).toThrow();
  });
});

describe("redis counters against a closed port", () => {
  test("ping and admit reject fast instead of hanging", async () => {
    const errors: Error[] = [];
    const down = createRedisClient("redis://127.0.0.1:6399", { onError: (err) => errors.push(err) });
    const store = createRedisCounters(down, { prefix: `${filePrefix}down:` });
    try {
      const started = performance.now();
      await expect(store.ping()).rejects.toThrow();
      expect(performance.now() - started).toBeLessThan(1_500);
      const admitStarted = performance.now();
      await expect(store.admit(request({}))).rejects.toThrow();
      expect(performance.now() - admitStarted).toBeLessThan(500);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((err) => !err.message.includes("redis://"))).toBe(true);
    } finally {
      down.disconnect();
    }
  });
});
