import { describe, expect, test } from "bun:test";
import { copyField, copyText } from "./copy-in.ts";

describe("copyField", () => {
  test.each([
    ["plain", "gpt-4o-mini", "gpt-4o-mini"],
    ["null", null, "\\N"],
    ["the text \\N is not null", "\\N", "\\\\N"],
    ["empty string", "", ""],
    ["backslash", "a\\b", "a\\\\b"],
    ["tab, newline, carriage return", "a\tb\nc\rd", "a\\tb\\nc\\rd"],
    ["end-of-data marker", "\\.", "\\\\."],
    ["quotes, braces and unicode untouched", `"x" {y} ünï 🌍`, `"x" {y} ünï 🌍`],
    ["array literal", '{"a\\"b","c\td"}', '{"a\\\\"b","c\\td"}'],
  ] as const)("%s", (_, value, text) => {
    expect(copyField(value)).toBe(text);
  });
});

describe("copyText", () => {
  test("column-major values become one line per row, fields tab-separated", () => {
    expect(copyText([["a", "b"], [null, "x\ty"]])).toBe("a\t\\N\nb\tx\\ty\n");
  });
  test("no rows, no text", () => {
    expect(copyText([[], []])).toBe("");
  });
});
