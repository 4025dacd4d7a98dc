import type { AdmitRequest, Reservation } from "./types.ts";

/** The reservation an admitted request holds, as both stores hand it back. */
export function reservationOf(req: AdmitRequest, windowStartMs: number, day: string, month: string): Reservation {
  return {
    keyId: req.keyId,
    reservationId: req.reservationId,
    windowStartMs,
    tokens: req.estimatedTokens,
    costMicroUsd: req.estimatedCostMicroUsd,
    day,
    month,
  };
}
