/**
 * The single-process twin of the Redis counters: same decisions (core/limits.ts), same
 * reservation lifecycle, Maps instead of keys. Everything is synchronous inside each call,
 * which is what makes admit atomic here. Stale state is pruned against the callers' nowMs
 * (per key on admit, all keys once a minute), mirroring the Redis TTLs.
 */
import {
  RESERVATION_TTL_MS,
  WINDOW_MS,
  explainDenial,
  failedLimits,
  utcDay,
  utcMonth,
  windowStartOf,
} from "../../core/limits.ts";
import { DAY_KEY_TTL_MS, MONTH_KEY_TTL_MS, SEEDED_TTL_MS } from "./keys.ts";
import type { AdmitRequest, AdmitVerdict, CountersStore, Reservation } from "./types.ts";
import { reservationOf } from "./reservation.ts";
import { ReservationMismatchError, assertAdmitRequest, assertSettlement, assertSpendRow } from "./validate.ts";

interface StoredReservation {
  expiresAtMs: number;
  costMicroUsd: number;
  tokens: number;
  windowStartMs: number;
  day: string;
  month: string;
}

interface KeyState {
  buckets: Map<number, { requests: number; tokens: number }>;
  spentDays: Map<string, number>;
  spentMonths: Map<string, number>;
  reservations: Map<string, StoredReservation>;
  /** Budget totals hold the ledger's spend until then (seedKey). */
  seededUntilMs: number;
}

const SWEEP_EVERY_MS = WINDOW_MS;

export interface MemoryCountersStore extends CountersStore {
  /** How many API keys currently hold state (to check that pruning bounds memory). */
  trackedKeyCount(): number;
}

export function createMemoryCounters(): MemoryCountersStore {
  const keys = new Map<string, KeyState>();
  let lastSweepMs = -Infinity;

  function stateOf(keyId: string): KeyState {
    let state = keys.get(keyId);
    if (!state) {
      state = { buckets: new Map(), spentDays: new Map(), spentMonths: new Map(), reservations: new Map(), seededUntilMs: 0 };
      keys.set(keyId, state);
    }
    return state;
  }

  function prune(state: KeyState, nowMs: number): void {
    const oldestBucket = windowStartOf(nowMs) - WINDOW_MS;
    for (const start of state.buckets.keys()) if (start < oldestBucket) state.buckets.delete(start);
    for (const [id, res] of state.reservations) if (res.expiresAtMs <= nowMs) state.reservations.delete(id);
    const oldestDay = utcDay(nowMs - DAY_KEY_TTL_MS);
    for (const day of state.spentDays.keys()) if (day < oldestDay) state.spentDays.delete(day);
    const oldestMonth = utcMonth(nowMs - MONTH_KEY_TTL_MS);
    for (const month of state.spentMonths.keys()) if (month < oldestMonth) state.spentMonths.delete(month);
  }

  function sweep(nowMs: number): void {
    if (nowMs - lastSweepMs < SWEEP_EVERY_MS) return;
    lastSweepMs = nowMs;
    for (const [keyId, state] of keys) {
      prune(state, nowMs);
      const empty =
        state.buckets.size + state.spentDays.size + state.spentMonths.size + state.reservations.size === 0 &&
        state.seededUntilMs <= nowMs;
      if (empty) keys.delete(keyId);
    }
  }

  /** Spent + live reservations; `nowMs` null counts every reservation still held. */
  function used(state: KeyState | undefined, day: string, month: string, nowMs: number | null) {
    let daily = state?.spentDays.get(day) ?? 0;
    let monthly = state?.spentMonths.get(month) ?? 0;
    for (const res of state?.reservations.values() ?? []) {
      if (nowMs !== null && res.expiresAtMs <= nowMs) continue;
      if (res.day === day) daily += res.costMicroUsd;
      if (res.month === month) monthly += res.costMicroUsd;
    }
    return { daily, monthly };
  }

  async function admit(req: AdmitRequest): Promise<AdmitVerdict> {
    assertAdmitRequest(req);
    sweep(req.nowMs);
    if (req.requireSeeded && !((keys.get(req.keyId)?.seededUntilMs ?? 0) > req.nowMs)) return { ok: false, reason: "unseeded" };
    const state = stateOf(req.keyId);
    prune(state, req.nowMs);
    const windowStartMs = windowStartOf(req.nowMs);
    const day = utcDay(req.nowMs);
    const month = utcMonth(req.nowMs);
    const prev = state.buckets.get(windowStartMs - WINDOW_MS);
    const curr = state.buckets.get(windowStartMs) ?? { requests: 0, tokens: 0 };
    const spent = used(state, day, month, null);
    const snapshot = {
      elapsedMs: req.nowMs - windowStartMs,
      prevRequests: prev?.requests ?? 0,
      currRequests: curr.requests,
      prevTokens: prev?.tokens ?? 0,
      currTokens: curr.tokens,
      dailyUsedMicroUsd: spent.daily,
      monthlyUsedMicroUsd: spent.monthly,
    };
    const failed = failedLimits(snapshot, req);
    if (failed.length > 0) return { ok: false, ...explainDenial(snapshot, req, failed, req.nowMs) };
    if (state.reservations.has(req.reservationId)) throw new Error("duplicate reservation id");

    state.buckets.set(windowStartMs, { requests: curr.requests + 1, tokens: curr.tokens + req.estimatedTokens });
    state.reservations.set(req.reservationId, {
      expiresAtMs: req.nowMs + RESERVATION_TTL_MS,
      costMicroUsd: req.estimatedCostMicroUsd,
      tokens: req.estimatedTokens,
      windowStartMs,
      day,
      month,
    });
    return { ok: true, reservation: reservationOf(req, windowStartMs, day, month) };
  }

  function finish(res: Reservation, actual: { tokens: number; costMicroUsd: number } | null): void {
    const state = keys.get(res.keyId);
    const stored = state?.reservations.get(res.reservationId);
    if (!state || !stored) return;
    if (stored.windowStartMs !== res.windowStartMs || stored.day !== res.day || stored.month !== res.month) {
      throw new ReservationMismatchError(res.reservationId);
    }
    state.reservations.delete(res.reservationId);
    const bucket = state.buckets.get(stored.windowStartMs);
    if (bucket) bucket.tokens += (actual?.tokens ?? 0) - stored.tokens;
    if (actual && actual.costMicroUsd > 0) {
      state.spentDays.set(stored.day, (state.spentDays.get(stored.day) ?? 0) + actual.costMicroUsd);
      state.spentMonths.set(stored.month, (state.spentMonths.get(stored.month) ?? 0) + actual.costMicroUsd);
    }
  }

  return {
    kind: "memory",
    admit,
    async settle(res, actual) {
      assertSettlement(res, actual);
      finish(res, actual);
    },
    async release(res) {
      assertSettlement(res, { tokens: 0, costMicroUsd: 0 });
      finish(res, null);
    },
    async spend(keyId, day, month, nowMs = Date.now()) {
      const { daily, monthly } = used(keys.get(keyId), day, month, nowMs);
      return { dailyMicroUsd: daily, monthlyMicroUsd: monthly };
    },
    async seedKey(row, nowMs) {
      assertSpendRow(row);
      const state = stateOf(row.keyId);
      state.spentDays.set(row.day, row.dailyMicroUsd);
      state.spentMonths.set(row.month, row.monthlyMicroUsd);
      state.seededUntilMs = nowMs + SEEDED_TTL_MS;
    },
    async ping() {},
    trackedKeyCount: () => keys.size,
    async close() {
      keys.clear();
    },
  };
}
