import { describe, expect, test } from "bun:test";
import { parseRfc3339 } from "./rfc3339.ts";

describe("parseRfc3339", () => {
  const valid: [string, string][] = [
    ["2030-01-15T12:00:00Z", "2030-01-15T12:00:00.000Z"],
    ["2030-01-15t12:00:00z", "2030-01-15T12:00:00.000Z"],
    ["2030-01-15T12:00:00.123456Z", "2030-01-15T12:00:00.123Z"],
    ["2030-01-15T12:00:00+02:00", "2030-01-15T10:00:00.000Z"],
    ["2028-02-29T00:00:00-05:30", "2028-02-29T05:30:00.000Z"],
  ];
  for (const [text, iso] of valid) {
    test(`${text} is ${iso}`, () => expect(parseRfc3339(text)?.toISOString()).toBe(iso));
  }

  const invalid = [
    "",
    "2030-01-15",
    "2030-01-15T12:00:00",
    "2030-01-15 12:00:00Z",
    "2030-02-30T00:00:00Z",
    "2029-02-29T00:00:00Z",
    "2030-13-01T00:00:00Z",
    "2030-01-15T24:00:00Z",
    "2030-01-15T12:00:60Z",
    "2030-01-15T12:00:00+24:00",
    "1700000000",
    "next tuesday",
  ];
  for (const text of invalid) test(`${JSON.stringify(text)} is refused`, () => expect(parseRfc3339(text)).toBeNull());
});
