import type { AdmitRequest, Reservation, SpendRow } from "./types.ts";

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
}

function assertLimit(name: string, value: number | null): void {
  if (value !== null) assertCount(name, value);
}

function assertId(name: string, value: string): void {
  if (typeof value !== "string" || value === "") throw new RangeError(`${name} must be a non-empty string`);
}

/** Redis stores integers only: reject floats and negatives before they reach a script. */
export function assertAdmitRequest(req: AdmitRequest): void {
  assertId("keyId", req.keyId);
  assertId("reservationId", req.reservationId);
  // It heads a "|"-separated record in Redis.
  if (req.reservationId.includes("|")) throw new RangeError("reservationId must not contain |");
  assertLimit("rpmLimit", req.rpmLimit);
  assertLimit("tpmLimit", req.tpmLimit);
  assertLimit("dailyBudgetMicroUsd", req.dailyBudgetMicroUsd);
  assertLimit("monthlyBudgetMicroUsd", req.monthlyBudgetMicroUsd);
  assertCount("estimatedTokens", req.estimatedTokens);
  assertCount("estimatedCostMicroUsd", req.estimatedCostMicroUsd);
  assertCount("nowMs", req.nowMs);
}

export function assertSettlement(res: Reservation, actual: { tokens: number; costMicroUsd: number }): void {
  assertId("keyId", res.keyId);
  assertId("reservationId", res.reservationId);
  assertCount("actual tokens", actual.tokens);
  assertCount("actual costMicroUsd", actual.costMicroUsd);
}

export function assertSpendRow(row: SpendRow): void {
  assertId("keyId", row.keyId);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(row.day) || !/^\d{4}-\d{2}$/.test(row.month)) {
    throw new RangeError("day must be YYYY-MM-DD and month YYYY-MM");
  }
  assertCount("dailyMicroUsd", row.dailyMicroUsd);
  assertCount("monthlyMicroUsd", row.monthlyMicroUsd);
}

/** Raised when settle / release is handed a reservation that does not match the stored one. */
export class ReservationMismatchError extends Error {
  constructor(reservationId: string) {
    super(`reservation ${reservationId} does not match the one recorded at admit`);
    this.name = "ReservationMismatchError";
  }
}
