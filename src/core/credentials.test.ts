import { describe, expect, test } from "bun:test";
import {
  digestCredential,
  digestsEqual,
  formatCredential,
  lookupPrefix,
  parseBearer,
} from "./credentials.ts";

const token = formatCredential("op_live_", new Uint8Array(32).fill(0xab));

describe("parseBearer", () => {
  const cases: [string | undefined, string][] = [
    [undefined, "missing"],
    ["", "missing"],
    ["   ", "missing"],
    ["Basic abc", "malformed"],
    ["Bearer", "malformed"],
    ["Bearer op_live_123", "malformed"],
    [`Bearer ${token}x`, "malformed"],
    [`Bearer ${token.toUpperCase()}`, "malformed"],
    [`Bearer rk_live_${"a".repeat(64)}`, "malformed"],
    [`Bearer ${token}`, "ok"],
    [`bearer ${token}`, "ok"],
  ];
  for (const [header, kind] of cases) {
    test(`${JSON.stringify(header)} is ${kind}`, () => {
      expect(parseBearer(header, "op_live_").kind).toBe(kind as never);
    });
  }
});

describe("credential format and digests", () => {
  test("formatCredential makes prefix + 64 lowercase hex and needs 32 bytes", () => {
    expect(token).toBe(`op_live_${"ab".repeat(32)}`);
    expect(() => formatCredential("rk_live_", new Uint8Array(16))).toThrow();
  });
  test("lookup prefix is the first 16 characters", () => {
    expect(lookupPrefix(token)).toBe("op_live_abababab");
  });
  test("digests compare equal only for the same credential", () => {
    const other = formatCredential("op_live_", new Uint8Array(32).fill(1));
    expect(digestsEqual(digestCredential(token), digestCredential(token))).toBe(true);
    expect(digestsEqual(digestCredential(token), digestCredential(other))).toBe(false);
    expect(digestsEqual(digestCredential(token), "")).toBe(false);
    expect(digestsEqual("", "")).toBe(false);
  });
  test("the digest is SHA-256 in lowercase hex (digests already stored keep matching)", () => {
    // FIPS 180-2 test vector.
    expect(digestCredential("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
  test("digests differing in one character, or in length, are not equal", () => {
    const digest = digestCredential(token);
    const last = digest.at(-1) === "0" ? "1" : "0";
    expect(digestsEqual(digest, digest.slice(0, -1) + last)).toBe(false);
    expect(digestsEqual(digest, digest.slice(0, -1))).toBe(false);
    expect(digestsEqual(`${digest}0`, digest)).toBe(false);
  });
});
