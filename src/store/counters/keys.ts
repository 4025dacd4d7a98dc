/**
 * Redis key layout: two keys per API key, both under the configured prefix and the hash tag
 * `{keyId}`, so a Lua script touching them stays in one cluster slot. Few keys and one hash
 * read per admit: every redis.call inside a script costs about a microsecond of Redis CPU.
 *
 *   <prefix>{<keyId>}:s   HASH, the key's state:
 *       w, n, t            the current rate window: its start (ms), requests, tokens
 *       pn, pt             requests, tokens of the window before w (w − 60 s)
 *       sd:<YYYY-MM-DD>    settled micro-USD that day     rd:<YYYY-MM-DD>  reserved (live) that day
 *       sm:<YYYY-MM>       settled micro-USD that month   rm:<YYYY-MM>     reserved (live) that month
 *       seeded             ms until which the spent totals stand as seeded from the ledger
 *                          (gone ⇒ never seeded or Redis lost its data)
 *       e                  the earliest expiry of a live reservation (absent: none held)
 *       d                  the last UTC day an admit saw: a new day prunes day fields older
 *                          than 2 days and month fields older than 62 days
 *       xr                 when (caller's clock) the TTLs were last refreshed
 *   <prefix>{<keyId>}:x   ZSET "<id>|<cost>|<tokens>|<windowStartMs>|<day>|<month>" → expiresAtMs:
 *                          the live reservations, each carrying its own record
 *
 * Both keys carry a 62-day TTL refreshed by admits every few minutes: the reserved sums in :s
 * must never outlive the reservations in :x nor the other way round. Windows need no TTL of
 * their own (a window older than the previous minute reads as empty).
 */
import { RESERVATION_TTL_MS, WINDOW_MS } from "../../core/limits.ts";

const DAY_MS = 86_400_000;
/** Spent per day is kept this long (older day fields are pruned on a new day). */
export const DAY_KEY_TTL_MS = 2 * DAY_MS;
/** Spent per month is kept this long; it is also the TTL of both keys. */
export const MONTH_KEY_TTL_MS = 62 * DAY_MS;
/** Admits refresh the TTLs when the last refresh (caller's clock) is older than this. */
export const TTL_REFRESH_MS = 5 * 60_000;
/** How long a key's seed from the ledger stands before it is reconciled again. */
export const SEEDED_TTL_MS = 6 * 3_600_000;

export { RESERVATION_TTL_MS, WINDOW_MS };

export interface KeyspaceOfKey {
  state: string;
  reservations: string;
}

export function assertPrefix(prefix: string): void {
  if (/[{}]/.test(prefix)) throw new Error("counters prefix must not contain { or }: it would break the hash tags");
}

export function keyspaceOf(prefix: string, keyId: string): KeyspaceOfKey {
  const base = `${prefix}{${keyId}}`;
  return { state: `${base}:s`, reservations: `${base}:x` };
}

/** The :x member of a reservation; settle finds it again from the Reservation alone. */
export function reservationMember(
  reservationId: string,
  costMicroUsd: number,
  tokens: number,
  windowStartMs: number,
  day: string,
  month: string,
): string {
  return `${reservationId}|${costMicroUsd}|${tokens}|${windowStartMs}|${day}|${month}`;
}
