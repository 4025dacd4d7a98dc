/**
 * Redis key layout. Every key starts with the configured prefix; one API key's keys share
 * the hash tag `{keyId}`, so a Lua script touching them all stays in one cluster slot.
 *
 *   <prefix>{<keyId>}:rl:<windowStartMs>   HASH n (requests), t (tokens)      TTL ≈ 2 min
 *   <prefix>{<keyId>}:spent:d:<YYYY-MM-DD> STRING settled micro-USD           TTL 2 days
 *   <prefix>{<keyId>}:spent:m:<YYYY-MM>    STRING settled micro-USD           TTL 62 days
 *   <prefix>{<keyId>}:res:exp              ZSET reservation id → expiresAtMs  TTL 1 h 5 min
 *   <prefix>{<keyId>}:res                  HASH r:<id> → "cost|tokens|windowStartMs|day|month",
 *                                          d:<day> / m:<month> → reserved micro-USD sums
 *                                          (same TTL: the sums vanish with their reservations)
 *   <prefix>{<keyId>}:seeded               STRING ms until which the spent totals       TTL 6 h
 *                                          stand as seeded from the ledger
 *                                          (gone ⇒ never seeded, expired, or Redis lost its data)
 *
 * TTLs are refreshed on every write and are durations computed from the caller's nowMs,
 * never absolute times, so tests may drive nowMs freely.
 */
import { RESERVATION_TTL_MS, WINDOW_MS } from "../../core/limits.ts";

const DAY_MS = 86_400_000;
export const DAY_KEY_TTL_MS = 2 * DAY_MS;
export const MONTH_KEY_TTL_MS = 62 * DAY_MS;
export const RESERVATION_KEYS_TTL_MS = RESERVATION_TTL_MS + 5 * 60_000;
/** How long a key's seed from the ledger stands before it is reconciled again. */
export const SEEDED_TTL_MS = 6 * 3_600_000;
const BUCKET_SLACK_MS = 5_000;

export interface KeyspaceOfKey {
  bucket(windowStartMs: number): string;
  spentDay(day: string): string;
  spentMonth(month: string): string;
  reservationExpiry: string;
  reservations: string;
  seeded: string;
}

export function assertPrefix(prefix: string): void {
  if (/[{}]/.test(prefix)) throw new Error("counters prefix must not contain { or }: it would break the hash tags");
}

export function keyspaceOf(prefix: string, keyId: string): KeyspaceOfKey {
  const base = `${prefix}{${keyId}}`;
  return {
    bucket: (windowStartMs) => `${base}:rl:${windowStartMs}`,
    spentDay: (day) => `${base}:spent:d:${day}`,
    spentMonth: (month) => `${base}:spent:m:${month}`,
    reservationExpiry: `${base}:res:exp`,
    reservations: `${base}:res`,
    seeded: `${base}:seeded`,
  };
}

/** A bucket is read while current and while previous: until two windows after its start. */
export function bucketTtlMs(windowStartMs: number, nowMs: number): number {
  return Math.max(1, windowStartMs + 2 * WINDOW_MS - nowMs) + BUCKET_SLACK_MS;
}
