import { describe, expect, test } from "bun:test";
import { dropSecretKeys, parseVerdict } from "./verdict.ts";

describe("parseVerdict", () => {
  const cases: [string, unknown, unknown][] = [
    ["allow", { action: "allow" }, { action: "allow" }],
    ["extra fields ignored", { action: "warn", score: 3, reason: "hm" }, { action: "warn", reason: "hm" }],
    ["null and empty reason / metadata dropped", { action: "allow", reason: "", metadata: null }, { action: "allow" }],
    ["a payload on a non-modify is ignored", { action: "allow", request: { x: 1 } }, { action: "allow" }],
    ["modify carries the request", { action: "modify", request: { y: 2 } }, { action: "modify", request: { y: 2 } }],
    ["modify in the wrong field", { action: "modify", response: { y: 2 } }, null],
    ["modify of another JSON kind", { action: "modify", request: [1] }, null],
    ["unknown action", { action: "deny" }, null],
    ["no action", { verdict: "ok" }, null],
    ["reason of the wrong type", { action: "block", reason: 7 }, null],
    ["metadata that is no object", { action: "allow", metadata: [1] }, null],
    ["not an object", "allow", null],
  ];
  for (const [name, reply, expected] of cases) {
    test(name, () => expect(parseVerdict(reply, "request", { x: 1 })).toEqual(expected as never));
  }

  test("a long reason is cut to 500 characters", () => {
    expect(parseVerdict({ action: "block", reason: "r".repeat(2000) }, "request", {})?.reason).toHaveLength(500);
  });
});

describe("dropSecretKeys", () => {
  test("case-insensitive substrings, at every depth, arrays included", () => {
    const metadata = {
      score: 1,
      API_KEY: "x",
      refreshToken: "x",
      "x-session-id": "x",
      nested: { Cookie: "x", ok: [{ credentials: "x", passwordHint: "x", keep: true }] },
      client_secret: "x",
      Authorization: "x",
    };
    expect(dropSecretKeys(metadata)).toEqual({ score: 1, nested: { ok: [{ keep: true }] } });
  });
});
