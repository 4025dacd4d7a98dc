import { describe, expect, test } from "bun:test";
import { isServiceName, normalizeServiceName } from "./service-names.ts";

describe("normalizeServiceName", () => {
  const cases: [unknown, string | null][] = [
    ["payments-api", "payments-api"],
    ["Payments API", "payments-api"],
    ["  __Search  Service__ ", "search-service"],
    ["svc_payments.v2", "svc-payments-v2"],
    ["Zahlungsdienst Ä/Ö", "zahlungsdienst"],
    ["---", null],
    ["", null],
    ["日本", null],
    [42, null],
    [null, null],
    [undefined, null],
    ["a".repeat(80), "a".repeat(64)],
    // Cut at 64, then no trailing dash.
    [`${"a".repeat(63)} b`, "a".repeat(63)],
  ];
  for (const [raw, expected] of cases) {
    test(`${JSON.stringify(raw)} ⇒ ${JSON.stringify(expected)}`, () => {
      expect(normalizeServiceName(raw)).toBe(expected);
      if (expected !== null) expect(isServiceName(expected)).toBe(true);
    });
  }
});

test("isServiceName follows contract 7", () => {
  for (const ok of ["a", "a1", "payments-api", "x".repeat(64)]) expect(isServiceName(ok)).toBe(true);
  for (const bad of ["", "-a", "a-", "A", "a_b", "x".repeat(65), "a b"]) expect(isServiceName(bad)).toBe(false);
});
