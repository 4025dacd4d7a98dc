import { utcDay, utcMonth } from "../../core/limits.ts";

const DAY_MS = 86_400_000;

/**
 * utcDay / utcMonth for a stream of timestamps, formatted once per UTC day rather than twice
 * per request (each is a Date and an ISO string).
 */
export function utcCalendar(): (nowMs: number) => { day: string; month: string } {
  let start = NaN;
  let current = { day: "", month: "" };
  return (nowMs) => {
    if (!(nowMs >= start && nowMs < start + DAY_MS)) {
      start = nowMs - (((nowMs % DAY_MS) + DAY_MS) % DAY_MS);
      current = { day: utcDay(nowMs), month: utcMonth(nowMs) };
    }
    return current;
  };
}
