import { describe as group, expect, test } from "bun:test";
import { describe, median, percentile, spread } from "./stats.ts";

group("percentile", () => {
  test.each([
    [[1, 2, 3, 4], 0.5, 2],
    [[1, 2, 3, 4], 0.99, 4],
    [[1, 2, 3, 4], 0.01, 1],
    [[7], 0.99, 7],
  ])("%p at %p is %p (nearest rank)", (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  test("no values is NaN", () => {
    expect(percentile([], 0.5)).toBeNaN();
  });
});

test("describe sorts numerically (not as strings)", () => {
  expect(describe([10, 9, 100, 1])).toEqual({ count: 4, mean: 30, p50: 9, p90: 100, p99: 100, max: 100 });
});

test("median and spread ignore NaN rounds", () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(spread([5, Number.NaN, 1, 3])).toEqual({ median: 3, min: 1, max: 5 });
  expect(spread([]).median).toBeNaN();
});
