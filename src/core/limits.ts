/**
 * Rate-limit and budget math shared by the Redis counters (whose Lua script mirrors
 * `failedLimits`) and their in-memory twin. Pure: time is always an argument.
 *
 * RPM / TPM use a sliding-window counter over two fixed, UTC-aligned 60 s buckets:
 *
 *   used(now) = floor(prev × (60 000 − elapsed) / 60 000) + curr
 *
 * where `elapsed` is how far `now` is into the current bucket. A request is admitted when
 * used + need ≤ limit (need = 1 for RPM, the token estimate for TPM). Guarantees:
 * - no calendar minute ever admits more than `limit` (curr alone is checked against it);
 * - any span of W ms (W ≤ 60 s) admits at most limit + ceil(limit × W / 60 000): a burst
 *   straddling a minute boundary over a few seconds gets ≈ limit, not the 2 × limit of a
 *   fixed window. Worst case, for a full rolling 60 s window, is 2 × limit — only when the
 *   previous minute's whole quota landed in its last instant and the current minute's in its
 *   last 1/limit. Evenly spread traffic sees ≈ a true rolling minute;
 * - flooring the previous bucket's share lets a saturating client sustain exactly `limit`
 *   per minute (an unfloored counter settles at limit − 1, i.e. RPM 1 would mean one request
 *   every two minutes).
 * A TPM estimate larger than the whole TPM limit is never admitted, even on an empty window
 * (it could never fit a minute); its retryAfterMs is one window.
 */

export const WINDOW_MS = 60_000;
/** A reservation nobody settled or released (the process died) stops counting after this. */
export const RESERVATION_TTL_MS = 3_600_000;
const DAY_MS = 86_400_000;

export type DenyReason = "rpm" | "tpm" | "daily_budget" | "monthly_budget";

/** Counts as seen at one instant; `elapsedMs` is the offset of that instant in its bucket. */
export interface LimitsSnapshot {
  elapsedMs: number;
  prevRequests: number;
  currRequests: number;
  prevTokens: number;
  currTokens: number;
  /** spent + live reservations */
  dailyUsedMicroUsd: number;
  monthlyUsedMicroUsd: number;
}

export interface LimitsAsk {
  rpmLimit: number | null;
  tpmLimit: number | null;
  estimatedTokens: number;
  dailyBudgetMicroUsd: number | null;
  monthlyBudgetMicroUsd: number | null;
}

export function windowStartOf(nowMs: number): number {
  return nowMs - (((nowMs % WINDOW_MS) + WINDOW_MS) % WINDOW_MS);
}

/** The sliding-window estimate; the Lua script computes exactly this expression. */
export function slidingCount(prev: number, curr: number, elapsedMs: number): number {
  return Math.floor((prev * (WINDOW_MS - elapsedMs)) / WINDOW_MS) + curr;
}

/**
 * Check order is rpm, tpm, daily, monthly. Budgets deny once spent + live reservations
 * already reach the budget; otherwise the estimate is reserved, so concurrent admits can
 * overshoot a budget by at most one estimate.
 */
export function failedLimits(s: LimitsSnapshot, ask: LimitsAsk): DenyReason[] {
  const failed: DenyReason[] = [];
  if (ask.rpmLimit !== null && slidingCount(s.prevRequests, s.currRequests, s.elapsedMs) + 1 > ask.rpmLimit) {
    failed.push("rpm");
  }
  if (
    ask.tpmLimit !== null &&
    slidingCount(s.prevTokens, s.currTokens, s.elapsedMs) + ask.estimatedTokens > ask.tpmLimit
  ) {
    failed.push("tpm");
  }
  if (ask.dailyBudgetMicroUsd !== null && s.dailyUsedMicroUsd >= ask.dailyBudgetMicroUsd) failed.push("daily_budget");
  if (ask.monthlyBudgetMicroUsd !== null && s.monthlyUsedMicroUsd >= ask.monthlyBudgetMicroUsd) {
    failed.push("monthly_budget");
  }
  return failed;
}

/**
 * ms from `elapsedMs` until `need` more fits under `limit`, assuming no other traffic; null
 * when it never can (need > limit). At most one window plus a millisecond for RPM; a large
 * TPM estimate can wait up to two windows because the previous bucket fades out linearly.
 */
export function msUntilWindowFits(
  prev: number,
  curr: number,
  elapsedMs: number,
  need: number,
  limit: number,
): number | null {
  if (need > limit) return null;
  const inCurrent = firstFittingOffset(prev, curr, elapsedMs, need, limit);
  if (inCurrent !== null) return inCurrent - elapsedMs;
  // Next bucket: the current one becomes "previous" and fades out over the next minute.
  const inNext = firstFittingOffset(curr, 0, 0, need, limit) ?? WINDOW_MS;
  return WINDOW_MS - elapsedMs + inNext;
}

/** Smallest offset d in [from, WINDOW_MS) at which the request fits; the count only falls with d. */
function firstFittingOffset(prev: number, curr: number, from: number, need: number, limit: number): number | null {
  const fits = (d: number) => slidingCount(prev, curr, d) + need <= limit;
  if (fits(from)) return from;
  if (!fits(WINDOW_MS - 1)) return null;
  let lo = from; // does not fit
  let hi = WINDOW_MS - 1; // fits
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The denial a caller sees: among the failed limits, the one that takes longest to clear. */
export function explainDenial(
  s: LimitsSnapshot,
  ask: LimitsAsk,
  failed: DenyReason[],
  nowMs: number,
): { reason: DenyReason; retryAfterMs: number } {
  let worst: { reason: DenyReason; retryAfterMs: number } | null = null;
  for (const reason of failed) {
    const retryAfterMs = Math.max(1, retryAfter(reason, s, ask, nowMs));
    if (worst === null || retryAfterMs > worst.retryAfterMs) worst = { reason, retryAfterMs };
  }
  if (worst === null) throw new Error("explainDenial needs at least one failed limit");
  return worst;
}

function retryAfter(reason: DenyReason, s: LimitsSnapshot, ask: LimitsAsk, nowMs: number): number {
  switch (reason) {
    case "rpm":
      return msUntilWindowFits(s.prevRequests, s.currRequests, s.elapsedMs, 1, ask.rpmLimit ?? 0) ?? WINDOW_MS;
    case "tpm":
      return (
        msUntilWindowFits(s.prevTokens, s.currTokens, s.elapsedMs, ask.estimatedTokens, ask.tpmLimit ?? 0) ??
        WINDOW_MS
      );
    case "daily_budget":
      return msUntilNextUtcDay(nowMs);
    case "monthly_budget":
      return msUntilNextUtcMonth(nowMs);
  }
}

/** `YYYY-MM-DD` of the UTC day containing nowMs. */
export function utcDay(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

/** `YYYY-MM` of the UTC month containing nowMs. */
export function utcMonth(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 7);
}

export function msUntilNextUtcDay(nowMs: number): number {
  return DAY_MS - (((nowMs % DAY_MS) + DAY_MS) % DAY_MS);
}

export function msUntilNextUtcMonth(nowMs: number): number {
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - nowMs;
}
