import { and, eq, gte, sql } from "drizzle-orm";
import { toMicroUsd } from "../core/cost.ts";
import { utcDay, utcMonth } from "../core/limits.ts";
import type { CountersStore, SpendRow } from "./counters/types.ts";
import type { Db } from "./db.ts";
import { usageEvents } from "./schema.ts";
import type { UsageLedger } from "./usage-ledger.ts";

/** A key's spend this UTC day and month, from the usage ledger (the key_id index serves it). */
export async function loadKeySpend(db: Db, keyId: string, nowMs: number): Promise<SpendRow> {
  const now = new Date(nowMs);
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const [row] = await db
    .select({
      daily: sql<string>`coalesce(sum(${usageEvents.estimatedCostUsd}) filter (where ${usageEvents.createdAt} >= ${dayStart.toISOString()}::timestamptz), 0)`,
      monthly: sql<string>`coalesce(sum(${usageEvents.estimatedCostUsd}), 0)`,
    })
    .from(usageEvents)
    .where(and(eq(usageEvents.keyId, keyId), gte(usageEvents.createdAt, monthStart)));
  return {
    keyId,
    day: utcDay(nowMs),
    month: utcMonth(nowMs),
    dailyMicroUsd: toMicroUsd(Number(row?.daily ?? 0)),
    monthlyMicroUsd: toMicroUsd(Number(row?.monthly ?? 0)),
  };
}

/**
 * Budget counters are rebuilt from the ledger one key at a time, when an admit finds the key
 * unseeded: on its first budgeted request after startup, after Redis lost its data (restart,
 * FLUSHALL, failover), and every SEEDED_TTL_MS as a reconciliation. The admit that finds it
 * unseeded records nothing, so a key over budget stays over budget across a Redis loss: no
 * request slips through before the rebuild. This replica's ledger queue is written first so the
 * sum includes it; rows still queued on other replicas (≤ a flush interval) are the residual gap.
 * Concurrent requests of one key share one rebuild.
 */
export function createKeySeeder(deps: { db: Db; counters: CountersStore; ledger: UsageLedger }) {
  const pending = new Map<string, Promise<void>>();
  return (keyId: string): Promise<void> => {
    let seeding = pending.get(keyId);
    if (!seeding) {
      seeding = (async () => {
        await deps.ledger.flush();
        const nowMs = Date.now();
        await deps.counters.seedKey(await loadKeySpend(deps.db, keyId, nowMs), nowMs);
      })().finally(() => pending.delete(keyId));
      pending.set(keyId, seeding);
    }
    return seeding;
  };
}
