import { describe, expect, test } from "bun:test";
import { describeWriteError, isBadRowError } from "./usage-batch.ts";

const coded = (code: string, extra: object = {}) => Object.assign(new Error(`driver error ${code}`), { code, ...extra });
/** drizzle's wrapper: the row values are in its message. */
const wrapped = (cause: unknown) => new Error("Failed query: insert into usage_events\nparams: secret", { cause });
const byCode = (code: string, wrap = false) => () => (wrap ? wrapped(coded(code)) : coded(code));

describe("isBadRowError", () => {
  test.each([
    ["check violation", byCode("23514", true), true],
    ["not-null violation", byCode("23502"), true],
    ["integer out of range", byCode("22003", true), true],
    ["invalid text representation", byCode("22P02"), true],
    ["unserializable value", () => new RangeError("Invalid time value"), true],
    ["connection refused", byCode("ECONNREFUSED", true), false],
    ["connection closed", byCode("CONNECTION_CLOSED"), false],
    ["admin shutdown", byCode("57P01"), false],
    ["too many connections", byCode("53300"), false],
    ["missing table (not migrated yet)", byCode("42P01", true), false],
    ["read-only transaction", byCode("25006"), false],
    ["unknown error", () => new Error("boom"), false],
  ] as const)("%s", (_, makeError, bad) => {
    expect(isBadRowError(makeError())).toBe(bad);
  });
});

describe("describeWriteError", () => {
  test("the SQLSTATE and constraint, never PostgreSQL's message (it can quote a value) or drizzle's params", () => {
    const err = wrapped(coded("23514", { constraint_name: "usage_events_counts_nonnegative", detail: "Failing row contains (secret)" }));
    expect(describeWriteError(err)).toEqual({
      code: "23514",
      constraint: "usage_events_counts_nonnegative",
      error: "rejected by PostgreSQL",
    });
    expect(describeWriteError(coded("EPIPE")).error).toBe("driver error EPIPE");
    expect(describeWriteError(new Error("Failed query: insert\nparams: secret"))).toEqual({
      code: undefined,
      constraint: undefined,
      error: "query failed",
    });
  });
});
