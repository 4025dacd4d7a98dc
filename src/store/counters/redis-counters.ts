import type { Redis } from "ioredis";
import {
  RESERVATION_TTL_MS,
  WINDOW_MS,
  explainDenial,
  utcDay,
  utcMonth,
  windowStartOf,
  type DenyReason,
  type LimitsSnapshot,
} from "../../core/limits.ts";
import { pingRedis } from "../redis.ts";
import {
  DAY_KEY_TTL_MS,
  MONTH_KEY_TTL_MS,
  RESERVATION_KEYS_TTL_MS,
  assertPrefix,
  bucketTtlMs,
  keyspaceOf,
  SEEDED_TTL_MS,
} from "./keys.ts";
import { ADMIT_LUA, FINISH_LUA, SPEND_LUA } from "./lua.ts";
import type { AdmitRequest, AdmitVerdict, CountersStore, Reservation, SpendRow } from "./types.ts";
import { reservationOf } from "./reservation.ts";
import { ReservationMismatchError, assertAdmitRequest, assertSettlement, assertSpendRow } from "./validate.ts";

type Arg = string | number;
interface ScriptCommands {
  relaynaCountersAdmit(...args: Arg[]): Promise<number[]>;
  relaynaCountersFinish(...args: Arg[]): Promise<number>;
  relaynaCountersSpend(...args: Arg[]): Promise<number[]>;
}

const PING_TIMEOUT_MS = 1_000;
const FAILED_BITS: [number, DenyReason][] = [
  [1, "rpm"],
  [2, "tpm"],
  [4, "daily_budget"],
  [8, "monthly_budget"],
];

/** Registers the scripts once per client; a second store on the same client reuses them. */
function withScripts(client: Redis): Redis & ScriptCommands {
  const scripted = client as Redis & Partial<ScriptCommands>;
  if (!scripted.relaynaCountersAdmit) {
    client.defineCommand("relaynaCountersAdmit", { lua: ADMIT_LUA, numberOfKeys: 7 });
    client.defineCommand("relaynaCountersFinish", { lua: FINISH_LUA, numberOfKeys: 5 });
    client.defineCommand("relaynaCountersSpend", { lua: SPEND_LUA, numberOfKeys: 4 });
  }
  return client as Redis & ScriptCommands;
}

const limitArg = (limit: number | null): Arg => limit ?? -1;

export function createRedisCounters(client: Redis, opts: { prefix: string }): CountersStore {
  assertPrefix(opts.prefix);
  const redis = withScripts(client);
  const keysOf = (keyId: string) => keyspaceOf(opts.prefix, keyId);

  async function admit(req: AdmitRequest): Promise<AdmitVerdict> {
    assertAdmitRequest(req);
    const keys = keysOf(req.keyId);
    const windowStartMs = windowStartOf(req.nowMs);
    const day = utcDay(req.nowMs);
    const month = utcMonth(req.nowMs);
    const reply = await redis.relaynaCountersAdmit(
      keys.bucket(windowStartMs),
      keys.bucket(windowStartMs - WINDOW_MS),
      keys.spentDay(day),
      keys.spentMonth(month),
      keys.reservationExpiry,
      keys.reservations,
      keys.seeded,
      req.nowMs,
      req.nowMs - windowStartMs,
      limitArg(req.rpmLimit),
      limitArg(req.tpmLimit),
      req.estimatedTokens,
      limitArg(req.dailyBudgetMicroUsd),
      limitArg(req.monthlyBudgetMicroUsd),
      req.estimatedCostMicroUsd,
      req.reservationId,
      day,
      month,
      windowStartMs,
      req.nowMs + RESERVATION_TTL_MS,
      bucketTtlMs(windowStartMs, req.nowMs),
      RESERVATION_KEYS_TTL_MS,
      req.requireSeeded ? "1" : "0",
    );
    if (reply[0] === -1) return { ok: false, reason: "unseeded" };
    const [mask = 0, prevRequests = 0, currRequests = 0, prevTokens = 0, currTokens = 0, dayUsed = 0, monthUsed = 0] =
      reply;
    if (mask === 0) return { ok: true, reservation: reservationOf(req, windowStartMs, day, month) };
    const snapshot: LimitsSnapshot = {
      elapsedMs: req.nowMs - windowStartMs,
      prevRequests,
      currRequests,
      prevTokens,
      currTokens,
      dailyUsedMicroUsd: dayUsed,
      monthlyUsedMicroUsd: monthUsed,
    };
    const failed = FAILED_BITS.filter(([bit]) => (mask & bit) !== 0).map(([, reason]) => reason);
    return { ok: false, ...explainDenial(snapshot, req, failed, req.nowMs) };
  }

  async function finish(mode: "settle" | "release", res: Reservation, tokens: number, costMicroUsd: number) {
    const keys = keysOf(res.keyId);
    try {
      await redis.relaynaCountersFinish(
        keys.bucket(res.windowStartMs),
        keys.spentDay(res.day),
        keys.spentMonth(res.month),
        keys.reservationExpiry,
        keys.reservations,
        res.reservationId,
        mode,
        tokens,
        costMicroUsd,
        DAY_KEY_TTL_MS,
        MONTH_KEY_TTL_MS,
        `${res.windowStartMs}|${res.day}|${res.month}`,
      );
    } catch (err) {
      if (err instanceof Error && err.message.includes("reservation mismatch")) {
        throw new ReservationMismatchError(res.reservationId);
      }
      throw err;
    }
  }

  return {
    kind: "redis",
    admit,
    async settle(res, actual) {
      assertSettlement(res, actual);
      await finish("settle", res, actual.tokens, actual.costMicroUsd);
    },
    async release(res) {
      assertSettlement(res, { tokens: 0, costMicroUsd: 0 });
      await finish("release", res, 0, 0);
    },
    async spend(keyId, day, month, nowMs = Date.now()) {
      const keys = keysOf(keyId);
      const [dailyMicroUsd = 0, monthlyMicroUsd = 0] = await redis.relaynaCountersSpend(
        keys.spentDay(day),
        keys.spentMonth(month),
        keys.reservationExpiry,
        keys.reservations,
        nowMs,
        day,
        month,
      );
      return { dailyMicroUsd, monthlyMicroUsd };
    },
    async seedKey(row: SpendRow, nowMs: number) {
      assertSpendRow(row);
      const keys = keysOf(row.keyId);
      // One transaction: the flag never stands without the totals it vouches for.
      const results = await redis
        .multi()
        .set(keys.spentDay(row.day), row.dailyMicroUsd, "PX", DAY_KEY_TTL_MS)
        .set(keys.spentMonth(row.month), row.monthlyMicroUsd, "PX", MONTH_KEY_TTL_MS)
        .set(keys.seeded, nowMs + SEEDED_TTL_MS, "PX", SEEDED_TTL_MS)
        .exec();
      const failure = (results ?? []).find(([err]) => err !== null);
      if (failure) throw failure[0];
    },
    ping: () => pingRedis(redis, PING_TIMEOUT_MS),
    async close() {},
  };
}
