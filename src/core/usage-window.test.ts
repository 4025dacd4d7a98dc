import { describe, expect, test } from "bun:test";
import { countBuckets, healthWindow, HEALTH_WINDOW_MS } from "./usage-window.ts";

const at = (text: string) => new Date(text);

describe("countBuckets", () => {
  const cases: [string, string, "hour" | "day", number][] = [
    ["2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "hour", 0],
    ["2030-01-01T00:00:00Z", "2030-01-01T01:00:00Z", "hour", 1],
    ["2030-01-01T00:30:00Z", "2030-01-01T01:00:00Z", "hour", 1],
    ["2030-01-01T00:30:00Z", "2030-01-01T01:00:00.001Z", "hour", 2],
    ["2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z", "hour", 24],
    ["2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z", "day", 1],
    ["2030-01-01T23:00:00Z", "2030-01-02T01:00:00Z", "day", 2],
    ["2030-01-01T00:00:00+05:00", "2030-01-01T00:00:00Z", "hour", 5],
    ["2030-01-02T00:00:00Z", "2030-01-01T00:00:00Z", "hour", 0],
    ["2000-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "day", 10958],
  ];
  for (const [from, to, bucket, expected] of cases) {
    test(`${from} .. ${to} by ${bucket} = ${expected}`, () => expect(countBuckets(at(from), at(to), bucket)).toBe(expected));
  }
});

describe("healthWindow", () => {
  const now = at("2030-06-01T12:00:00Z");
  test("defaults to the last 24 hours", () => {
    expect(healthWindow({}, now)).toEqual({ from: at("2030-05-31T12:00:00Z"), to: now });
  });
  test("24 hours before an explicit end", () => {
    const to = at("2030-01-10T00:00:00Z");
    expect(healthWindow({ to }, now)).toEqual({ from: new Date(to.getTime() - HEALTH_WINDOW_MS), to });
  });
  test("an explicit start is kept as is", () => {
    const from = at("2029-01-01T00:00:00Z");
    expect(healthWindow({ from }, now)).toEqual({ from, to: undefined });
  });
});
