/**
 * Per-key limit counters: RPM / TPM over a rolling minute and daily / monthly USD budgets,
 * all checked and reserved atomically (one Redis round trip per admit).
 *
 * Rate math lives in core/limits.ts (sliding-window counter, worst-case overshoot documented
 * there: no calendar minute above the limit, any W ms span ≤ limit + ceil(limit × W / 60 s),
 * so 2 × limit for a full rolling minute in the adversarial case).
 * Budgets: deny when spent + live reservations ≥ budget, else reserve the estimate; so any
 * number of concurrent admits overshoot by at most one estimate (plus actuals above their
 * estimates). Money is integer micro-USD everywhere.
 */
import type { DenyReason } from "../../core/limits.ts";

export interface AdmitRequest {
  keyId: string;
  /**
   * Unique per request (a random UUID); settle / release are idempotent on it. An admit that
   * repeats a held reservation exactly is refused; other reuse of an id is not detected.
   */
  reservationId: string;
  rpmLimit: number | null;
  tpmLimit: number | null;
  estimatedTokens: number;
  dailyBudgetMicroUsd: number | null;
  monthlyBudgetMicroUsd: number | null;
  estimatedCostMicroUsd: number;
  nowMs: number;
  /**
   * The key's budget counters must hold the ledger's spend: when they were never seeded (or
   * Redis lost them), admit answers `unseeded` and records nothing; the caller seeds the key
   * from the ledger (seedKey) and asks again.
   */
  requireSeeded: boolean;
}

export type AdmitVerdict =
  | { ok: true; reservation: Reservation }
  | { ok: false; reason: DenyReason; retryAfterMs: number }
  | { ok: false; reason: "unseeded" };

export interface Reservation {
  keyId: string;
  reservationId: string;
  /** The minute bucket the estimated tokens went to; settle reconciles there. */
  windowStartMs: number;
  tokens: number;
  costMicroUsd: number;
  /** UTC `YYYY-MM-DD` / `YYYY-MM` of the admit: the cost counts against these. */
  day: string;
  month: string;
}

export interface SpendRow {
  keyId: string;
  day: string;
  month: string;
  dailyMicroUsd: number;
  monthlyMicroUsd: number;
}

export interface CountersStore {
  readonly kind: "redis" | "memory";
  /** Check every limit, then reserve 1 request + the estimates; nothing is recorded on deny. */
  admit(req: AdmitRequest): Promise<AdmitVerdict>;
  /**
   * Replace the estimate with the actual: the token difference goes back to (or is added to)
   * the reservation's bucket while it still exists, the cost moves from reserved to spent.
   * A no-op when the reservation was already settled, released or purged after expiry
   * (> 1 h: the ledger rebuild then restores the spend). Redis applies a settlement with the
   * key's next admit (before that admit decides), or on its own after a few ms when no admit
   * comes; the promise resolves once it has been applied, and until then the estimate stays
   * reserved.
   */
  settle(res: Reservation, actual: { tokens: number; costMicroUsd: number }, nowMs: number): Promise<void>;
  /** The request failed: give back its tokens and cost; it still counts for RPM. Idempotent. */
  release(res: Reservation, nowMs: number): Promise<void>;
  /**
   * Spent + reservations still live at nowMs (default: the wall clock), counting every admit,
   * settle and release of the key issued before the call.
   */
  spend(
    keyId: string,
    day: string,
    month: string,
    nowMs?: number,
  ): Promise<{ dailyMicroUsd: number; monthlyMicroUsd: number }>;
  /**
   * Rebuild one key from the ledger: set its SPENT totals (live reservations untouched) and
   * mark it seeded for SEEDED_TTL_MS, after which the next budgeted admit asks for a fresh seed
   * (a periodic reconciliation with the ledger).
   */
  seedKey(row: SpendRow, nowMs: number): Promise<void>;
  ping(): Promise<void>;
  /**
   * Sends what is still queued, then releases what the store itself owns; a Redis client
   * passed in stays the caller's to quit.
   */
  close(): Promise<void>;
}
