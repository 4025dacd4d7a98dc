/**
 * The behaviour both counters stores promise, run against each of them
 * (memory-counters.test.ts, redis-counters.int.test.ts). Time is driven through nowMs.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { RESERVATION_TTL_MS, WINDOW_MS, msUntilNextUtcDay, msUntilNextUtcMonth } from "../../core/limits.ts";
import { SEEDED_TTL_MS } from "./keys.ts";
import type { AdmitRequest, AdmitVerdict, CountersStore, Reservation } from "./types.ts";
import { ReservationMismatchError } from "./validate.ts";

/** 12:00:00.000 UTC: a minute boundary, mid-day, mid-month. */
export const T0 = Date.UTC(2030, 0, 15, 12, 0, 0);
const DAY = "2030-01-15";
const MONTH = "2030-01";

export function describeCountersContract(
  name: string,
  makeStore: () => Promise<{ store: CountersStore; cleanup: () => Promise<void> }>,
): void {
  describe(`counters contract: ${name}`, () => {
    let store: CountersStore;
    let cleanup: () => Promise<void>;
    let keyId: string;
    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
      keyId = `key-${crypto.randomUUID()}`;
    });
    afterEach(() => cleanup());

    const ask = (over: Partial<AdmitRequest> = {}): AdmitRequest => ({
      keyId,
      reservationId: crypto.randomUUID(),
      rpmLimit: null,
      tpmLimit: null,
      estimatedTokens: 0,
      dailyBudgetMicroUsd: null,
      monthlyBudgetMicroUsd: null,
      estimatedCostMicroUsd: 0,
      nowMs: T0,
      requireSeeded: false,
      ...over,
    });
    const admitted = async (over: Partial<AdmitRequest> = {}): Promise<Reservation> => {
      const verdict = await store.admit(ask(over));
      if (!verdict.ok) throw new Error(`expected admission, got ${JSON.stringify(verdict)}`);
      return verdict.reservation;
    };
    const spend = (nowMs = T0) => store.spend(keyId, DAY, MONTH, nowMs);

    test("RPM: the 6th request in a minute is denied with the exact wait, and admitted after it", async () => {
      for (let i = 0; i < 5; i++) await admitted({ rpmLimit: 5, nowMs: T0 + 10_000 + i * 100 });
      const denied = await store.admit(ask({ rpmLimit: 5, nowMs: T0 + 20_000 }));
      expect(denied).toEqual({ ok: false, reason: "rpm", retryAfterMs: 40_001 });
      const retryAt = T0 + 20_000 + 40_001;
      expect((await store.admit(ask({ rpmLimit: 5, nowMs: retryAt - 1 }))).ok).toBe(false);
      expect((await store.admit(ask({ rpmLimit: 5, nowMs: retryAt }))).ok).toBe(true);
    });

    test("a burst straddling a minute boundary admits at most limit + ceil(limit × span / 60 s)", async () => {
      const times: number[] = [];
      for (let t = T0 + 58_000; t < T0 + 62_000; t += 100) {
        const verdict = await store.admit(ask({ rpmLimit: 5, nowMs: t }));
        if (verdict.ok) times.push(t);
        else expect((verdict as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
      }
      expect(times.length).toBe(5 + Math.ceil((5 * 4_000) / WINDOW_MS));
    });

    test("TPM: the estimate is reserved, and settle gives the difference back to the window", async () => {
      const first = await admitted({ tpmLimit: 1_000, estimatedTokens: 800 });
      const denied = await store.admit(ask({ tpmLimit: 1_000, estimatedTokens: 300, nowMs: T0 + 1_000 }));
      expect(denied).toMatchObject({ ok: false, reason: "tpm" });
      await store.settle(first, { tokens: 200, costMicroUsd: 0 }, T0 + 2_000);
      await admitted({ tpmLimit: 1_000, estimatedTokens: 300, nowMs: T0 + 3_000 });
      expect((await store.admit(ask({ tpmLimit: 1_000, estimatedTokens: 501, nowMs: T0 + 3_000 }))).ok).toBe(false);
      const last = await admitted({ tpmLimit: 1_000, estimatedTokens: 500, nowMs: T0 + 3_000 });
      await store.settle(last, { tokens: 900, costMicroUsd: 0 }, T0 + 4_000); // actual above estimate counts too
      const after = await store.admit(ask({ tpmLimit: 1_400, estimatedTokens: 1, nowMs: T0 + 5_000 }));
      expect(after).toMatchObject({ ok: false, reason: "tpm" });
    });

    test("TPM: an estimate above the whole limit is denied even on an empty window", async () => {
      expect(await store.admit(ask({ tpmLimit: 1_000, estimatedTokens: 1_001 }))).toEqual({
        ok: false,
        reason: "tpm",
        retryAfterMs: WINDOW_MS,
      });
    });

    test("release gives tokens and cost back; the request still counts for RPM", async () => {
      const limits = { rpmLimit: 2, tpmLimit: 1_000, estimatedTokens: 1_000, dailyBudgetMicroUsd: 5_000 };
      const res = await admitted({ ...limits, estimatedCostMicroUsd: 5_000 });
      expect(await spend()).toEqual({ dailyMicroUsd: 5_000, monthlyMicroUsd: 5_000 });
      await store.release(res, T0 + 1_000);
      await store.release(res, T0 + 1_000);
      await store.settle(res, { tokens: 10, costMicroUsd: 10 }, T0 + 1_000);
      expect(await spend()).toEqual({ dailyMicroUsd: 0, monthlyMicroUsd: 0 });
      await admitted({ ...limits, estimatedCostMicroUsd: 5_000, nowMs: T0 + 2_000 });
      expect(await store.admit(ask({ rpmLimit: 2, tpmLimit: 1_000, nowMs: T0 + 3_000 }))).toMatchObject({
        ok: false,
        reason: "rpm",
      });
    });

    test("settle moves the reservation to spent at the actual cost, once", async () => {
      const res = await admitted({ estimatedCostMicroUsd: 5_000, dailyBudgetMicroUsd: 100_000 });
      expect(await spend()).toEqual({ dailyMicroUsd: 5_000, monthlyMicroUsd: 5_000 });
      await store.settle(res, { tokens: 0, costMicroUsd: 1_200 }, T0 + 1_000);
      await store.settle(res, { tokens: 0, costMicroUsd: 1_200 }, T0 + 1_000);
      await store.release(res, T0 + 1_000);
      expect(await spend()).toEqual({ dailyMicroUsd: 1_200, monthlyMicroUsd: 1_200 });
    });

    test("spend() equals the sum of settled costs", async () => {
      let total = 0;
      for (let i = 0; i < 20; i++) {
        const res = await admitted({ estimatedCostMicroUsd: 1_000 + i, nowMs: T0 + i * 1_000 });
        const actual = (i * 7_919) % 3_000;
        total += actual;
        await store.settle(res, { tokens: 0, costMicroUsd: actual }, T0 + i * 1_000 + 500);
      }
      expect(await spend()).toEqual({ dailyMicroUsd: total, monthlyMicroUsd: total });
    });

    test("200 concurrent admits against a budget of 10 estimates: at most 11 pass", async () => {
      const run = (budget: Partial<AdmitRequest>) =>
        Promise.all(Array.from({ length: 200 }, () => store.admit(ask({ ...budget, estimatedCostMicroUsd: 1_000 }))));
      const daily = await run({ dailyBudgetMicroUsd: 10_000 });
      const passed = daily.filter((v) => v.ok).length;
      expect(passed).toBeGreaterThanOrEqual(10);
      expect(passed).toBeLessThanOrEqual(11);
      const denial = daily.find((v) => !v.ok);
      expect(denial).toEqual({ ok: false, reason: "daily_budget", retryAfterMs: msUntilNextUtcDay(T0) });

      keyId = `key-${crypto.randomUUID()}`;
      const monthly = await run({ monthlyBudgetMicroUsd: 10_000 });
      expect(monthly.filter((v) => v.ok).length).toBeLessThanOrEqual(11);
      expect(monthly.find((v) => !v.ok)).toEqual({
        ok: false,
        reason: "monthly_budget",
        retryAfterMs: msUntilNextUtcMonth(T0),
      });
    });

    test("a reservation never settled stops counting after 1 h", async () => {
      const stale = await admitted({ dailyBudgetMicroUsd: 10_000, estimatedCostMicroUsd: 10_000 });
      expect(await store.admit(ask({ dailyBudgetMicroUsd: 10_000, nowMs: T0 + 60_000 }))).toMatchObject({
        ok: false,
        reason: "daily_budget",
      });
      const later = T0 + RESERVATION_TTL_MS + 1;
      expect(await spend(later)).toEqual({ dailyMicroUsd: 0, monthlyMicroUsd: 0 });
      expect(await spend(later - 2)).toEqual({ dailyMicroUsd: 10_000, monthlyMicroUsd: 10_000 });
      await admitted({ dailyBudgetMicroUsd: 10_000, estimatedCostMicroUsd: 4_000, nowMs: later });
      await store.settle(stale, { tokens: 0, costMicroUsd: 10_000 }, later + 1); // purged: a no-op
      expect(await spend(later + 1)).toEqual({ dailyMicroUsd: 4_000, monthlyMicroUsd: 4_000 });
    });

    test("seedKey sets spent totals, keeps live reservations, and admit denies when over", async () => {
      await admitted({ estimatedCostMicroUsd: 3_000 });
      const row = { keyId, day: DAY, month: MONTH, dailyMicroUsd: 7_000, monthlyMicroUsd: 20_000 };
      await store.seedKey(row, T0);
      await store.seedKey(row, T0);
      expect(await spend()).toEqual({ dailyMicroUsd: 10_000, monthlyMicroUsd: 23_000 });
      expect(await store.admit(ask({ dailyBudgetMicroUsd: 10_000 }))).toMatchObject({ reason: "daily_budget" });
      expect(await store.admit(ask({ monthlyBudgetMicroUsd: 23_000 }))).toMatchObject({ reason: "monthly_budget" });
      expect((await store.admit(ask({ dailyBudgetMicroUsd: 10_001, monthlyBudgetMicroUsd: 23_001 }))).ok).toBe(true);
    });

    test("when several limits fail, the longest wait is reported", async () => {
      await admitted({ rpmLimit: 1, estimatedCostMicroUsd: 1 });
      const verdict: AdmitVerdict = await store.admit(ask({ rpmLimit: 1, dailyBudgetMicroUsd: 1, nowMs: T0 + 1 }));
      expect(verdict).toEqual({ ok: false, reason: "daily_budget", retryAfterMs: msUntilNextUtcDay(T0 + 1) });
    });

    test("keys are isolated by keyId", async () => {
      await admitted({ rpmLimit: 1, dailyBudgetMicroUsd: 1, estimatedCostMicroUsd: 1 });
      expect((await store.admit(ask({ rpmLimit: 1 }))).ok).toBe(false);
      const other = `key-${crypto.randomUUID()}`;
      expect((await store.admit(ask({ keyId: other, rpmLimit: 1, dailyBudgetMicroUsd: 1 }))).ok).toBe(true);
      expect(await store.spend(other, DAY, MONTH, T0)).toEqual({ dailyMicroUsd: 0, monthlyMicroUsd: 0 });
    });

    test("a budgeted admit needs the key seeded: unseeded records nothing; the seed lasts SEEDED_TTL_MS", async () => {
      const budgeted = { dailyBudgetMicroUsd: 10_000, estimatedCostMicroUsd: 1_000, rpmLimit: 1, requireSeeded: true };
      expect(await store.admit(ask(budgeted))).toEqual({ ok: false, reason: "unseeded" });
      expect(await spend()).toEqual({ dailyMicroUsd: 0, monthlyMicroUsd: 0 });
      await store.seedKey({ keyId, day: DAY, month: MONTH, dailyMicroUsd: 9_500, monthlyMicroUsd: 9_500 }, T0);
      // Nothing was counted by the unseeded attempt: the RPM 1 slot is still free.
      await admitted(budgeted);
      expect(await store.admit(ask({ ...budgeted, rpmLimit: null, nowMs: T0 + 1 }))).toMatchObject({ reason: "daily_budget" });
      // Unlimited-by-budget admits never ask for a seed.
      const other = `key-${crypto.randomUUID()}`;
      expect((await store.admit(ask({ keyId: other, rpmLimit: 5 }))).ok).toBe(true);
      // After the seed's lifetime the key asks again (reconciliation with the ledger).
      const later = T0 + SEEDED_TTL_MS + 1;
      expect(await store.admit(ask({ ...budgeted, nowMs: later }))).toEqual({ ok: false, reason: "unseeded" });
    });

    test("settlements sent together land once each: repeats in one batch and across batches are no-ops", async () => {
      const reservations = await Promise.all(
        Array.from({ length: 30 }, (_, i) => admitted({ estimatedCostMicroUsd: 1_000, nowMs: T0 + i })),
      );
      // Not awaited one by one: these go out together; the repeats ride in the same batch.
      const first = reservations.map((r, i) => store.settle(r, { tokens: 0, costMicroUsd: i }, T0 + 100));
      const repeats = reservations.map((r) => store.release(r, T0 + 100));
      await Promise.all([...first, ...repeats]);
      const total = (29 * 30) / 2;
      expect(await spend(T0 + 100)).toEqual({ dailyMicroUsd: total, monthlyMicroUsd: total });
      await Promise.all(reservations.map((r) => store.settle(r, { tokens: 0, costMicroUsd: 5_000 }, T0 + 200)));
      expect(await spend(T0 + 200)).toEqual({ dailyMicroUsd: total, monthlyMicroUsd: total });
    });

    test("an admit sees the settlements issued before it, even when not awaited; each lands once", async () => {
      const limits = { tpmLimit: 1_000, estimatedTokens: 1_000, dailyBudgetMicroUsd: 5_000 };
      const res = await admitted({ ...limits, estimatedCostMicroUsd: 5_000 });
      const settled = store.settle(res, { tokens: 200, costMicroUsd: 1_000 }, T0 + 1);
      // Both the tokens and the budget are free again only if the settlement came first.
      const next = await admitted({ ...limits, estimatedTokens: 800, estimatedCostMicroUsd: 4_000, nowMs: T0 + 2 });
      await settled;
      const repeats = [store.settle(res, { tokens: 0, costMicroUsd: 3_000 }, T0 + 3), store.release(res, T0 + 3)];
      expect(await store.admit(ask({ ...limits, estimatedTokens: 0, nowMs: T0 + 4 }))).toMatchObject({ reason: "daily_budget" });
      await Promise.all(repeats);
      await store.release(next, T0 + 5);
      expect(await spend(T0 + 5)).toEqual({ dailyMicroUsd: 1_000, monthlyMicroUsd: 1_000 });
    });

    test("a reservation settled, even when not awaited, may be admitted again under the same id", async () => {
      const res = await admitted({ reservationId: "again", estimatedCostMicroUsd: 1_000 });
      const settled = store.settle(res, { tokens: 0, costMicroUsd: 400 }, T0);
      const again = await admitted({ reservationId: "again", estimatedCostMicroUsd: 1_000 });
      await settled;
      expect(await spend()).toEqual({ dailyMicroUsd: 1_400, monthlyMicroUsd: 1_400 });
      await store.settle(again, { tokens: 0, costMicroUsd: 100 }, T0 + 1);
      expect(await spend(T0 + 1)).toEqual({ dailyMicroUsd: 500, monthlyMicroUsd: 500 });
    });

    test("a settlement issued just after midnight lands on its reservation's day and month, reserved off and spent on", async () => {
      const lastMs = Date.UTC(2030, 0, 31, 23, 59, 59, 999);
      const res = await admitted({ estimatedCostMicroUsd: 2_000, nowMs: lastMs });
      const settled = store.settle(res, { tokens: 0, costMicroUsd: 700 }, lastMs + 2);
      await admitted({ estimatedCostMicroUsd: 500, nowMs: lastMs + 2 });
      await settled;
      expect(await store.spend(keyId, "2030-01-31", "2030-01", lastMs + 3)).toEqual({ dailyMicroUsd: 700, monthlyMicroUsd: 700 });
      expect(await store.spend(keyId, "2030-02-01", "2030-02", lastMs + 3)).toEqual({ dailyMicroUsd: 500, monthlyMicroUsd: 500 });
      // spend() adds reserved and spent: a rebuild from the ledger, which replaces only the spent
      // totals, shows whether the estimate really left the reserved ones.
      await store.seedKey({ keyId, day: "2030-01-31", month: "2030-01", dailyMicroUsd: 700, monthlyMicroUsd: 700 }, lastMs + 3);
      expect(await store.spend(keyId, "2030-01-31", "2030-01", lastMs + 3)).toEqual({ dailyMicroUsd: 700, monthlyMicroUsd: 700 });
    });

    test("spend() sees a settlement issued just before it, even when not awaited", async () => {
      const res = await admitted({ estimatedCostMicroUsd: 5_000 });
      const settled = store.settle(res, { tokens: 0, costMicroUsd: 1_234 }, T0 + 1);
      expect(await spend(T0 + 1)).toEqual({ dailyMicroUsd: 1_234, monthlyMicroUsd: 1_234 });
      await settled;
    });

    test("TPM settled from another window: the difference goes to that window only while it is counted", async () => {
      const early = await admitted({ tpmLimit: 1_000, estimatedTokens: 900, nowMs: T0 + 59_000 });
      // Next window: the previous one still weighs (60 s − 1 s) / 60 s of its 900 tokens.
      expect(await store.admit(ask({ tpmLimit: 1_000, estimatedTokens: 200, nowMs: T0 + 61_000 }))).toMatchObject({ reason: "tpm" });
      await store.settle(early, { tokens: 100, costMicroUsd: 0 }, T0 + 61_000);
      await admitted({ tpmLimit: 1_000, estimatedTokens: 800, nowMs: T0 + 61_000 });
      // Two windows later the old one is gone; a late settle changes nothing.
      const late = await admitted({ tpmLimit: 1_000, estimatedTokens: 100, nowMs: T0 + 119_000 });
      await store.settle(late, { tokens: 1_000, costMicroUsd: 0 }, T0 + 185_000);
      expect((await store.admit(ask({ tpmLimit: 1_000, estimatedTokens: 1_000, nowMs: T0 + 185_000 }))).ok).toBe(true);
    });

    test("spent of a day is kept 2 days and of a month 62 days, then dropped on a later admit", async () => {
      const res = await admitted({ estimatedCostMicroUsd: 700 });
      await store.settle(res, { tokens: 0, costMicroUsd: 700 }, T0 + 1);
      const dayMs = 86_400_000;
      await admitted({ nowMs: T0 + 2 * dayMs - 1 });
      expect(await spend(T0 + 2 * dayMs)).toEqual({ dailyMicroUsd: 700, monthlyMicroUsd: 700 });
      await admitted({ nowMs: T0 + 3 * dayMs });
      expect(await spend(T0 + 3 * dayMs)).toEqual({ dailyMicroUsd: 0, monthlyMicroUsd: 700 });
      await admitted({ nowMs: T0 + 80 * dayMs });
      expect(await spend(T0 + 80 * dayMs)).toEqual({ dailyMicroUsd: 0, monthlyMicroUsd: 0 });
    });

    test("rejects fractional money, duplicate ids and a tampered reservation", async () => {
      await expect(store.admit(ask({ estimatedCostMicroUsd: 0.5 }))).rejects.toThrow(RangeError);
      const res = await admitted({ reservationId: "dup" });
      await expect(store.admit(ask({ reservationId: "dup" }))).rejects.toThrow("duplicate");
      await expect(store.settle({ ...res, day: "2030-01-16" }, { tokens: 0, costMicroUsd: 0 }, T0)).rejects.toThrow(
        ReservationMismatchError,
      );
      await expect(store.settle(res, { tokens: 1.5, costMicroUsd: 0 }, T0)).rejects.toThrow(RangeError);
    });
  });
}
