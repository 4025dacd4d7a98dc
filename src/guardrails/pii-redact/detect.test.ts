import { describe, expect, test } from "bun:test";
import { detectPii, scanText } from "./detect.ts";

/** "category:value" for each span, in order. */
const found = (text: string): string[] => detectPii(text).map(({ category, start, end }) => `${category}:${text.slice(start, end)}`);

describe("detectPii finds", () => {
  test.each([
    ["plain email", "write to ana@example.com today", ["email:ana@example.com"]],
    ["email with dots, plus, dash, subdomains", "a.b+tag@mail.ex-ample.co.uk", ["email:a.b+tag@mail.ex-ample.co.uk"]],
    ["email before sentence dot", "mail x_y@corp.io.", ["email:x_y@corp.io"]],
    ["email in angle brackets", "<bob@example.org>", ["email:bob@example.org"]],
    ["email next to emoji and CJK", "🌍bob@example.org東京", ["email:bob@example.org"]],
    ["email with punycode TLD", "me@example.xn--p1ai", ["email:me@example.xn--p1ai"]],
    ["email whose local part looks like a phone", "415-555-0100@sms.example.com", ["email:415-555-0100@sms.example.com"]],
    ["US with country code", "call +1 (415) 555-0100 now", ["phone:+1 (415) 555-0100"]],
    ["US dashed", "415-555-0100", ["phone:415-555-0100"]],
    ["US parenthesised, spaced", "(415) 555 0100", ["phone:(415) 555 0100"]],
    ["US parenthesised, no space", "(415)555-0100", ["phone:(415)555-0100"]],
    ["US dotted", "415.555.0100", ["phone:415.555.0100"]],
    ["US with leading 1", "1-800-555-0100", ["phone:1-800-555-0100"]],
    ["E.164 without separators", "+14155550100", ["phone:+14155550100"]],
    ["UK", "+44 20 7946 0958", ["phone:+44 20 7946 0958"]],
    ["UK with (0)", "+44 (0)20 7946 0958", ["phone:+44 (0)20 7946 0958"]],
    ["UK national", "020 7946 0958", ["phone:020 7946 0958"]],
    ["Germany", "+49 30 1234567", ["phone:+49 30 1234567"]],
    ["Germany national", "030 1234567", ["phone:030 1234567"]],
    ["00 international prefix", "0044 20 7946 0958", ["phone:0044 20 7946 0958"]],
    ["France", "+33 6 12 34 56 78 or 06.12.34.56.78", ["phone:+33 6 12 34 56 78", "phone:06.12.34.56.78"]],
    ["phone inside CJK text", "電話415-555-0100です", ["phone:415-555-0100"]],
    ["phone after tel:", "tel:+14155550100", ["phone:+14155550100"]],
    ["phone then sentence end", "Ring 415-555-0100.", ["phone:415-555-0100"]],
    ["SSN", "SSN 123-45-6789.", ["ssn:123-45-6789"]],
    ["SSN after a phone", "+49 30 1234567 123-45-6789", ["phone:+49 30 1234567", "ssn:123-45-6789"]],
    ["all three", "a@b.io, 415-555-0100, 078-05-1120", ["email:a@b.io", "phone:415-555-0100", "ssn:078-05-1120"]],
  ])("%s", (_name, text, expected) => {
    expect(found(text)).toEqual(expected);
  });
});

describe("detectPii leaves alone", () => {
  test.each([
    ["ISO date", "due 2024-01-15"],
    ["US date", "on 12/25/2024 at 10:30"],
    ["dotted date", "am 05.10.2024 um 14.30"],
    ["year", "in 2024 and 1999"],
    ["price", "$1,234.56 or €415.555.0100"],
    ["thousands", "1,234,567 and 1 234 567 890"],
    ["order ids", "ORD-415-555-0100, #4155550100, order 4155550100"],
    ["7-digit local number", "555-0100"],
    ["IP address and version", "10.0.0.1 v1.2.3 192.168.100.1000"],
    ["decimal run-on", "415.555.0100.5"],
    ["dashed id", "415-555-0100-1234"],
    ["phone glued to letters", "x415-555-0100 415-555-0100x"],
    ["credit-card-like groups", "4111 1111 1111 1111"],
    ["SSN with invalid area 000", "000-12-3456"],
    ["SSN with invalid area 666", "666-12-3456"],
    ["SSN with invalid area 9xx", "912-12-3456"],
    ["SSN with group 00", "123-00-6789"],
    ["SSN with serial 0000", "123-45-0000"],
    ["SSN run-on", "123-45-67890"],
    ["single-label domain", "root@localhost"],
    ["numeric TLD", "a@b.123"],
    ["at sign alone", "me @ home, @handle, a@, @b.com"],
    ["placeholders are not PII", "[PHONE_415] [EMAIL_1] [SSN_2]"],
  ])("%s", (_name, text) => {
    expect(found(text)).toEqual([]);
  });
});

describe("detectPii limits", () => {
  test("an email longer than 254 characters is not an address", () => {
    const local = "a".repeat(64);
    const labels = `${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}`; // 182 characters
    const fits = `${local}@${labels}.${"e".repeat(254 - 64 - 1 - 182 - 1)}`;
    expect(fits).toHaveLength(254);
    expect(found(` ${fits} `)).toEqual([`email:${fits}`]);
    // One more letter: the last label no longer fits, the address found ends a label earlier.
    expect(found(` ${fits}e `)).toEqual([`email:${local}@${labels}`]);
    expect(found(` ${local}@${"b".repeat(60)}.${"c".repeat(130)} `)).toEqual([]);
  });

  test("many addresses without a dot after them are scanned in linear time", () => {
    const text = "a@b ".repeat(100_000);
    const started = performance.now();
    expect(found(text)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1_000); // a quadratic scan takes minutes
  });

  test("a local part over 64 characters is not an address", () => {
    expect(found(`${"a".repeat(65)}@example.com`)).toEqual([]);
  });

  test("an over-long domain keeps its complete labels inside the limit", () => {
    const text = `a@example.com.${"x".repeat(300)}`;
    expect(found(text)).toEqual(["email:a@example.com"]);
  });
});

describe("scanText", () => {
  test("placeholder-shaped tokens are spans of their own", () => {
    const text = "[EMAIL_1] x [PHONE_12] [SSN_0] [EMAIL_]";
    expect(scanText(text).spans).toEqual([
      { kind: "placeholder", start: 0, end: 9 },
      { kind: "placeholder", start: 12, end: 22 },
    ]);
  });

  test.each([
    ["a trailing word could become an email", "hello wor", 6],
    ["trailing digits could become a phone", "call 415-555", 5],
    ["a phone needs its right edge", "call 415-555-0100", 5],
    ["a dot after a phone could start a decimal", "call 415-555-0100.", 5],
    ["a half placeholder", "see [EMAIL_1", 4],
    ["a lone bracket", "see [", 4],
    ["an email needs the end of its domain", "to a@b.co", 3],
    ["nothing pending after a space", "hello world ", 12],
    ["a complete placeholder needs nothing after it", "x [EMAIL_1]", 11],
  ])("not final: %s", (_name, text, stable) => {
    expect(scanText(text, 0, false).stable).toBe(stable);
  });

  test("left context is respected when scanning from an offset", () => {
    expect(scanText("x415-555-0100 ", 1).spans).toEqual([]);
    expect(scanText(" 415-555-0100 ", 1).spans).toEqual([{ kind: "phone", start: 1, end: 13 }]);
  });
});
