import { describe, expect, test } from "bun:test";
import {
  WINDOW_MS,
  explainDenial,
  failedLimits,
  msUntilNextUtcDay,
  msUntilNextUtcMonth,
  msUntilWindowFits,
  slidingCount,
  utcDay,
  utcMonth,
  windowStartOf,
  type LimitsAsk,
  type LimitsSnapshot,
} from "./limits.ts";

const T0 = Date.UTC(2030, 0, 15, 12, 0, 0); // a bucket boundary

const empty: LimitsSnapshot = {
  elapsedMs: 0,
  prevRequests: 0,
  currRequests: 0,
  prevTokens: 0,
  currTokens: 0,
  dailyUsedMicroUsd: 0,
  monthlyUsedMicroUsd: 0,
};
const noLimits: LimitsAsk = {
  rpmLimit: null,
  tpmLimit: null,
  estimatedTokens: 0,
  dailyBudgetMicroUsd: null,
  monthlyBudgetMicroUsd: null,
};

/** Admits one request per call through the pure math, the way both stores do. */
function rpmSimulator(limit: number) {
  const buckets = new Map<number, number>();
  const admitted: number[] = [];
  return {
    admitted,
    tryAt(nowMs: number): boolean {
      const start = windowStartOf(nowMs);
      const s = {
        ...empty,
        elapsedMs: nowMs - start,
        prevRequests: buckets.get(start - WINDOW_MS) ?? 0,
        currRequests: buckets.get(start) ?? 0,
      };
      if (failedLimits(s, { ...noLimits, rpmLimit: limit }).length > 0) return false;
      buckets.set(start, s.currRequests + 1);
      admitted.push(nowMs);
      return true;
    },
  };
}

function maxInSpan(times: number[], spanMs: number): number {
  let best = 0;
  for (let i = 0; i < times.length; i++) {
    let j = i;
    while (j < times.length && times[j]! - times[i]! < spanMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

describe("sliding window counter", () => {
  const cases: [number, number, number, number][] = [
    // prev, curr, elapsed, expected
    [0, 0, 0, 0],
    [10, 0, 0, 10],
    [10, 0, 30_000, 5],
    [10, 3, 59_999, 3],
    [5, 0, 1, 4],
    [1, 0, 1, 0],
  ];
  for (const [prev, curr, elapsed, expected] of cases) {
    test(`prev ${prev}, curr ${curr} at +${elapsed} ms counts ${expected}`, () => {
      expect(slidingCount(prev, curr, elapsed)).toBe(expected);
    });
  }

  test("retry time is exact: denied 1 ms before, admitted at it", () => {
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    for (let i = 0; i < 2000; i++) {
      const limit = 1 + rand(50);
      const prev = rand(limit + 1);
      const curr = rand(limit + 1);
      const elapsed = rand(WINDOW_MS);
      const need = 1 + rand(limit);
      const wait = msUntilWindowFits(prev, curr, elapsed, need, limit)!;
      const at = (t: number) => {
        const start = windowStartOf(T0 + t);
        const [p, c] = start === T0 ? [prev, curr] : start === T0 + WINDOW_MS ? [curr, 0] : [0, 0];
        return slidingCount(p, c, T0 + t - start) + need <= limit;
      };
      expect(at(elapsed + wait)).toBe(true);
      if (wait > 0) expect(at(elapsed + wait - 1)).toBe(false);
    }
  });

  test("an estimate above the limit never fits", () => {
    expect(msUntilWindowFits(0, 0, 0, 101, 100)).toBeNull();
  });

  test("a saturating client sustains exactly the limit per minute", () => {
    for (const limit of [1, 2, 5, 60]) {
      const sim = rpmSimulator(limit);
      for (let t = T0; t < T0 + 10 * WINDOW_MS; t += 50) sim.tryAt(t);
      expect(sim.admitted.length).toBe(10 * limit);
    }
  });

  test("any span of W ms admits at most limit + ceil(limit × W / 60 s); a calendar minute at most limit", () => {
    const limit = 5;
    const spans = [1_000, 10_000, 30_000, 59_999];
    const schedules: [string, number[]][] = [
      ["steady every 100 ms", Array.from({ length: 3000 }, (_, i) => T0 + i * 100)],
      [
        "bursts at the end of each minute",
        Array.from({ length: 600 }, (_, i) => T0 + Math.floor(i / 100) * WINDOW_MS + 59_000 + (i % 100) * 10),
      ],
      ["burst straddling a boundary", Array.from({ length: 400 }, (_, i) => T0 + 58_000 + i * 10)],
    ];
    for (const [, times] of schedules) {
      const sim = rpmSimulator(limit);
      for (const t of times) sim.tryAt(t);
      for (const span of spans) {
        expect(maxInSpan(sim.admitted, span)).toBeLessThanOrEqual(limit + Math.ceil((limit * span) / WINDOW_MS));
      }
      const perMinute = new Map<number, number>();
      for (const t of sim.admitted) perMinute.set(windowStartOf(t), (perMinute.get(windowStartOf(t)) ?? 0) + 1);
      for (const n of perMinute.values()) expect(n).toBeLessThanOrEqual(limit);
    }
  });

  test("a 4 s burst straddling a boundary admits limit + 1, not 2 × limit", () => {
    const sim = rpmSimulator(5);
    for (let t = T0 + 58_000; t < T0 + 62_000; t += 10) sim.tryAt(t);
    expect(sim.admitted.length).toBe(6);
  });
});

describe("failedLimits / explainDenial", () => {
  const now = T0 + 10_000;
  const cases: [string, Partial<LimitsSnapshot>, Partial<LimitsAsk>, string[]][] = [
    ["no limits", {}, {}, []],
    ["rpm full", { currRequests: 5 }, { rpmLimit: 5 }, ["rpm"]],
    ["rpm has room", { currRequests: 4 }, { rpmLimit: 5 }, []],
    ["tpm estimate fits exactly", { currTokens: 600 }, { tpmLimit: 1000, estimatedTokens: 400 }, []],
    ["tpm estimate overflows", { currTokens: 601 }, { tpmLimit: 1000, estimatedTokens: 400 }, ["tpm"]],
    ["tpm estimate above the limit on an empty window", {}, { tpmLimit: 1000, estimatedTokens: 1001 }, ["tpm"]],
    ["daily used reaches budget", { dailyUsedMicroUsd: 100 }, { dailyBudgetMicroUsd: 100 }, ["daily_budget"]],
    ["daily used below budget", { dailyUsedMicroUsd: 99 }, { dailyBudgetMicroUsd: 100 }, []],
    ["zero budget", {}, { monthlyBudgetMicroUsd: 0 }, ["monthly_budget"]],
    [
      "everything",
      { currRequests: 1, currTokens: 1, dailyUsedMicroUsd: 1, monthlyUsedMicroUsd: 1 },
      { rpmLimit: 1, tpmLimit: 1, estimatedTokens: 1, dailyBudgetMicroUsd: 1, monthlyBudgetMicroUsd: 1 },
      ["rpm", "tpm", "daily_budget", "monthly_budget"],
    ],
  ];
  for (const [name, snap, ask, expected] of cases) {
    test(name, () => {
      const failed = failedLimits({ ...empty, elapsedMs: 10_000, ...snap }, { ...noLimits, ...ask });
      expect(failed).toEqual(expected as never);
    });
  }

  test("the longest wait wins", () => {
    const s = { ...empty, elapsedMs: 10_000, currRequests: 5, dailyUsedMicroUsd: 10 };
    const ask = { ...noLimits, rpmLimit: 5, dailyBudgetMicroUsd: 10 };
    expect(explainDenial(s, ask, ["rpm", "daily_budget"], now)).toEqual({
      reason: "daily_budget",
      retryAfterMs: msUntilNextUtcDay(now),
    });
    expect(explainDenial(s, ask, ["rpm"], now)).toEqual({ reason: "rpm", retryAfterMs: 50_001 });
  });
});

describe("UTC calendar", () => {
  const cases: [string, string, string, number, number][] = [
    ["2030-01-15T12:00:00.000Z", "2030-01-15", "2030-01", 12 * 3_600_000, 17 * 86_400_000 - 12 * 3_600_000],
    ["2030-02-28T23:59:59.999Z", "2030-02-28", "2030-02", 1, 1],
    ["2032-02-29T00:00:00.000Z", "2032-02-29", "2032-02", 86_400_000, 86_400_000],
    ["2030-12-31T23:00:00.000Z", "2030-12-31", "2030-12", 3_600_000, 3_600_000],
  ];
  for (const [iso, day, month, toDay, toMonth] of cases) {
    test(iso, () => {
      const now = Date.parse(iso);
      expect([utcDay(now), utcMonth(now), msUntilNextUtcDay(now), msUntilNextUtcMonth(now)]).toEqual([
        day,
        month,
        toDay,
        toMonth,
      ]);
    });
  }
});
