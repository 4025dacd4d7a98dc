import { describe, expect, test } from "bun:test";
import { T0, describeCountersContract } from "./counters.contract.ts";
import { createMemoryCounters } from "./memory-counters.ts";

describeCountersContract("memory", async () => {
  const store = createMemoryCounters();
  return { store, cleanup: () => store.close() };
});

describe("memory counters", () => {
  test("state of idle keys is pruned, so memory stays bounded", async () => {
    const store = createMemoryCounters();
    for (let i = 0; i < 100; i++) {
      const verdict = await store.admit({
        keyId: `key-${i}`,
        reservationId: `r-${i}`,
        rpmLimit: 10,
        tpmLimit: null,
        estimatedTokens: 0,
        dailyBudgetMicroUsd: null,
        monthlyBudgetMicroUsd: null,
        estimatedCostMicroUsd: 0,
        nowMs: T0,
        requireSeeded: false,
      });
      expect(verdict.ok).toBe(true);
    }
    expect(store.trackedKeyCount()).toBe(100);
    await store.admit({
      keyId: "key-late",
      reservationId: "r-late",
      rpmLimit: 10,
      tpmLimit: null,
      estimatedTokens: 0,
      dailyBudgetMicroUsd: null,
      monthlyBudgetMicroUsd: null,
      estimatedCostMicroUsd: 0,
      nowMs: T0 + 2 * 3_600_000,
      requireSeeded: false,
    });
    expect(store.trackedKeyCount()).toBe(1);
  });
});
