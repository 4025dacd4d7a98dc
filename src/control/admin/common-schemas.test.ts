import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { parseWith } from "../../http/validation.ts";
import { exactObject, jsonRecord, serviceNamesField, timestampField } from "./common-schemas.ts";

const schema = exactObject({
  name: v.string(),
  kind: v.optional(v.picklist(["a", "b"])),
  count: v.optional(v.number()),
  services: v.optional(serviceNamesField),
  at: v.optional(timestampField),
  extra: v.optional(jsonRecord(v.unknown())),
});

const messageOf = (input: unknown): string => {
  try {
    parseWith(schema, input);
    return "ok";
  } catch (err) {
    return (err as Error).message;
  }
};

describe("admin schema messages name the field and never echo the value", () => {
  const secret = "sk-SECRET-VALUE-0123456789";
  const cases: [unknown, string][] = [
    [undefined, "Invalid payload: must be a JSON object."],
    [[], "Invalid payload: must be a JSON object."],
    [{}, "Invalid field `name`: is required."],
    [{ name: secret.length }, "Invalid field `name`: must be a string."],
    [{ name: "x", [secret]: 1 }, `Invalid field \`${secret}\`: is not a known field.`],
    [{ name: "x", kind: secret }, 'Invalid field `kind`: must be one of ("a" | "b").'],
    [{ name: "x", count: secret }, "Invalid field `count`: must be a number."],
    [
      { name: "x", services: [secret] },
      "Invalid field `services.0`: must be a service name (lowercase letters, digits, dashes).",
    ],
    [
      { name: "x", at: secret },
      "Invalid field `at`: must be an RFC 3339 timestamp with an offset, e.g. 2030-01-31T00:00:00Z.",
    ],
    [{ name: "x", extra: [secret] }, "Invalid field `extra`: must be a JSON object."],
  ];
  for (const [input, message] of cases) {
    test(message, () => expect(messageOf(input)).toBe(message));
  }

  test("values are never in the message", () => {
    const inputs = [{ name: secret.length, count: secret }, { name: "x", kind: secret }, { name: 1, services: secret }];
    for (const input of inputs) {
      expect(messageOf(input)).not.toContain("SECRET");
    }
  });

  test("service names are deduplicated, timestamps become Dates", () => {
    expect(parseWith(schema, { name: "x", services: ["a", "b", "a"], at: "2030-01-01T00:00:00+01:00" })).toEqual({
      name: "x",
      services: ["a", "b"],
      at: new Date("2029-12-31T23:00:00Z"),
    });
  });
});
