import { describe, expect, test } from "bun:test";
import { DEFAULT_OUTPUT_TOKENS, estimateTokens, priceOf, resolveCost, roundUsd, toMicroUsd } from "./cost.ts";

const price = { inputUsdPerMillion: 2.5, outputUsdPerMillion: 10 };

describe("cost", () => {
  test("token estimate: body bytes / 4 plus max_tokens or the default", () => {
    expect(estimateTokens(400, 50)).toEqual({ input: 100, output: 50 });
    expect(estimateTokens(401, null)).toEqual({ input: 101, output: DEFAULT_OUTPUT_TOKENS });
  });
  test("model price per million tokens", () => {
    expect(priceOf(price, 1_000_000, 0)).toBe(2.5);
    expect(priceOf(price, 1000, 500)).toBeCloseTo(0.0075, 12);
  });
  test("micro-dollar rounding keeps ledger and counters equal", () => {
    expect(toMicroUsd(0.0000015)).toBe(2);
    expect(roundUsd(0.0000015)).toBe(0.000002);
    expect(toMicroUsd(-1)).toBe(0);
  });
  const usage = { inputTokens: 1000, outputTokens: 500 };
  const cases: [string, Parameters<typeof resolveCost>[0], number][] = [
    ["reported wins", { reportedUsd: 0.0042, price, usage, estimateUsd: 0.01, charged: true }, 0.0042],
    ["reported counts on failures too", { reportedUsd: 0.001, price: null, usage: null, estimateUsd: 0.01, charged: false }, 0.001],
    ["model price on real tokens", { reportedUsd: null, price, usage, estimateUsd: 0.01, charged: true }, 0.0075],
    ["no price: the route estimate", { reportedUsd: null, price: null, usage, estimateUsd: 0.01, charged: true }, 0.01],
    ["price but no usage: the estimate", { reportedUsd: null, price, usage: null, estimateUsd: 0.02, charged: true }, 0.02],
    ["uncharged failure: 0", { reportedUsd: null, price, usage, estimateUsd: 0.01, charged: false }, 0],
    ["service fixed: the estimate, whatever was reported", { reportedUsd: 0.5, price: null, usage: null, estimateUsd: 0.02, charged: true, mode: "fixed" }, 0.02],
    ["service fixed failure: 0", { reportedUsd: null, price: null, usage: null, estimateUsd: 0.02, charged: false, mode: "fixed" }, 0],
    ["service passthrough: the reported cost", { reportedUsd: 0.3, price: null, usage: null, estimateUsd: 0.02, charged: true, mode: "passthrough" }, 0.3],
    ["service passthrough, nothing reported: 0", { reportedUsd: null, price: null, usage: null, estimateUsd: 0.02, charged: true, mode: "passthrough" }, 0],
    ["service none: 0 even if reported", { reportedUsd: 0.3, price: null, usage: null, estimateUsd: 0.02, charged: true, mode: "none" }, 0],
  ];
  for (const [name, input, expected] of cases) test(name, () => expect(resolveCost(input)).toBe(expected));
});
