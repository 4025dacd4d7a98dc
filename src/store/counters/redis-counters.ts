import type { Redis } from "ioredis";
import { explainDenial, windowStartOf, type DenyReason, type LimitsSnapshot } from "../../core/limits.ts";
import { pingRedis } from "../redis.ts";
import { MONTH_KEY_TTL_MS, SEEDED_TTL_MS, assertPrefix, keyspaceOf, reservationMember } from "./keys.ts";
import { BATCH_LUA, SPEND_LUA } from "./lua.ts";
import { createKeyBatches, type BatchArg, type ItemReply } from "./key-batches.ts";
import type { AdmitRequest, AdmitVerdict, CountersStore, Reservation, SpendRow } from "./types.ts";
import { reservationOf } from "./reservation.ts";
import { utcCalendar } from "./utc-calendar.ts";
import { ReservationMismatchError, assertAdmitRequest, assertSettlement, assertSpendRow } from "./validate.ts";

type Arg = string | number;
interface ScriptCommands {
  relaynaCountersBatch(...args: BatchArg[]): Promise<ItemReply[]>;
  relaynaCountersBatchAlone(...args: BatchArg[]): Promise<ItemReply[]>;
  relaynaCountersSpend(...args: Arg[]): Promise<number[]>;
}

export interface RedisCountersOptions {
  prefix: string;
  /**
   * Settlements ride with their key's next admit; with none coming they are sent on their own
   * after at most this long (default 2 ms).
   */
  settleDelayMs?: number;
  /** A key's queued settlements (admits) are sent at once when there are this many (default 64). */
  settleMaxBatch?: number;
  admitMaxBatch?: number;
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
  if (!scripted.relaynaCountersBatch) {
    client.defineCommand("relaynaCountersBatch", { lua: BATCH_LUA, numberOfKeys: 2 });
    client.defineCommand("relaynaCountersSpend", { lua: SPEND_LUA, numberOfKeys: 2 });
    // The same script for a batch that goes out alone in its turn: written at once rather
    // than through auto-pipelining, whose per-command pipeline costs the gateway ~2-3 us per
    // metered request at ~12 requests per call (measured; with several keys a turn, the
    // shared write wins, so those keep it).
    client.defineCommand("relaynaCountersBatchAlone", { lua: BATCH_LUA, numberOfKeys: 2 });
    const ignored = client.options.autoPipeliningIgnoredCommands ?? [];
    // a new array: the default one is shared by every client
    client.options.autoPipeliningIgnoredCommands = [...ignored, "relaynaCountersBatchAlone"];
  }
  return client as Redis & ScriptCommands;
}

const limitArg = (limit: number | null): Arg => limit ?? -1;

export function createRedisCounters(client: Redis, opts: RedisCountersOptions): CountersStore {
  assertPrefix(opts.prefix);
  const redis = withScripts(client);
  const keysOf = (keyId: string) => keyspaceOf(opts.prefix, keyId);
  const calendar = utcCalendar();
  // A key's script calls must reach Redis in the order they were issued. Auto-pipelining
  // holds a command until the client's previous pipeline is answered, so a call written
  // directly could overtake one of the same key still held there: a key goes direct only
  // while none of its calls is pipelined and unanswered.
  const pipelined = new Map<string, number>();
  function script(keyId: string, alone: boolean, args: BatchArg[]): Promise<ItemReply[]> {
    const keys = keysOf(keyId);
    try {
      if (alone && !pipelined.has(keyId)) return redis.relaynaCountersBatchAlone(keys.state, keys.reservations, ...args);
      return trackPipelined(keyId, () => redis.relaynaCountersBatch(keys.state, keys.reservations, ...args));
    } catch (err) {
      // as a rejection: a call carrying settlements must answer them too
      return Promise.reject(err);
    }
  }
  function trackPipelined<T>(keyId: string, call: () => Promise<T>): Promise<T> {
    pipelined.set(keyId, (pipelined.get(keyId) ?? 0) + 1);
    const answered = () => {
      const left = pipelined.get(keyId)! - 1;
      if (left > 0) pipelined.set(keyId, left);
      else pipelined.delete(keyId);
    };
    let sent: Promise<T>;
    try {
      sent = call();
    } catch (err) {
      answered();
      throw err;
    }
    sent.then(answered, answered);
    return sent;
  }
  // Admits that arrive together (same turn of the event loop) share one script call: no wait
  // is added, and each is still decided and reserved atomically, in arrival order. The key's
  // queued settlements ride in the same call, applied before the admits decide: in steady
  // state a metered request costs one script call, not an admit and a settle.
  const admits = createKeyBatches(
    (keyId, args, alone) => {
      const carried = settlements.take(keyId);
      if (!carried) return script(keyId, alone, [0, ...args]);
      const sent = script(keyId, alone, [carried.count, ...carried.args, ...args]);
      // replies: the admits', then the settlements'
      sent.then(
        (replies) => carried.answer(replies, args.length / 3),
        (err: unknown) => carried.fail(err),
      );
      return sent;
    },
    { delayMs: 0, maxBatch: opts.admitMaxBatch ?? 64 },
  );
  // Settlements no admit came to carry within the delay go out on their own.
  const settlements = createKeyBatches((keyId, args, alone) => script(keyId, alone, [args.length / 3, ...args]), {
    delayMs: opts.settleDelayMs ?? 2,
    maxBatch: opts.settleMaxBatch ?? 64,
  });

  async function admit(req: AdmitRequest): Promise<AdmitVerdict> {
    assertAdmitRequest(req);
    const windowStartMs = windowStartOf(req.nowMs);
    const { day, month } = calendar(req.nowMs);
    const reply = await admits.add(
      req.keyId,
      req.nowMs,
      `${limitArg(req.rpmLimit)}|${limitArg(req.tpmLimit)}|${limitArg(req.dailyBudgetMicroUsd)}|${limitArg(req.monthlyBudgetMicroUsd)}|${req.requireSeeded ? 1 : 0}`,
      reservationMember(req.reservationId, req.estimatedCostMicroUsd, req.estimatedTokens, windowStartMs, day, month),
    );
    if (reply === 0) return { ok: true, reservation: reservationOf(req, windowStartMs, day, month) };
    if (reply === -1) return { ok: false, reason: "unseeded" };
    if (!Array.isArray(reply)) throw new Error("duplicate reservation id");
    const [mask = 0, prevRequests = 0, currRequests = 0, prevTokens = 0, currTokens = 0, dayUsed = 0, monthUsed = 0] =
      reply;
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

  async function finish(res: Reservation, tokens: number, costMicroUsd: number): Promise<void> {
    const member = reservationMember(res.reservationId, res.costMicroUsd, res.tokens, res.windowStartMs, res.day, res.month);
    const code = await settlements.add(res.keyId, member, tokens, costMicroUsd);
    if (code === -1) throw new ReservationMismatchError(res.reservationId);
  }

  return {
    kind: "redis",
    admit,
    async settle(res, actual) {
      assertSettlement(res, actual);
      await finish(res, actual.tokens, actual.costMicroUsd);
    },
    async release(res) {
      assertSettlement(res, { tokens: 0, costMicroUsd: 0 });
      await finish(res, 0, 0);
    },
    async spend(keyId, day, month, nowMs = Date.now()) {
      // What was admitted or settled before this call counts.
      await admits.flush(keyId);
      await settlements.flush(keyId);
      const keys = keysOf(keyId);
      const [dailyMicroUsd = 0, monthlyMicroUsd = 0] = await trackPipelined(keyId, () =>
        redis.relaynaCountersSpend(keys.state, keys.reservations, nowMs, day, month),
      );
      return { dailyMicroUsd, monthlyMicroUsd };
    },
    async seedKey(row: SpendRow, nowMs: number) {
      assertSpendRow(row);
      // Settlements queued before the seed land before it: the ledger sum already holds them.
      await settlements.flush(row.keyId);
      const keys = keysOf(row.keyId);
      // One transaction: the flag never stands without the totals it vouches for.
      const results = await redis
        .multi()
        .hset(keys.state, `sd:${row.day}`, row.dailyMicroUsd, `sm:${row.month}`, row.monthlyMicroUsd, "seeded", nowMs + SEEDED_TTL_MS)
        .pexpire(keys.state, MONTH_KEY_TTL_MS)
        .exec();
      const failure = (results ?? []).find(([err]) => err !== null);
      if (failure) throw failure[0];
    },
    ping: () => pingRedis(redis, PING_TIMEOUT_MS),
    /** Sends what is queued; the client stays the caller's. */
    close: () => Promise.all([admits.flush(), settlements.flush()]).then(() => {}),
  };
}
