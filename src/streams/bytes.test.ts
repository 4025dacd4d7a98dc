import { describe, expect, test } from "bun:test";
import { ascii, hasKeyWithValue, indexOfBytes } from "./bytes.ts";

describe("indexOfBytes", () => {
  const hay = ascii('data: {"usage":null}\n\ndata: [DONE]\n\n');
  test.each([
    ['"usage"', 0, 7],
    ["[DONE]", 0, 28],
    ["[DONE]", 29, -1],
    ["data:", 1, 22],
    ["absent", 0, -1],
    ["\n\n\n", 0, -1],
  ])("%p from %p", (needle, from, at) => {
    expect(indexOfBytes(hay, ascii(needle), from)).toBe(at);
  });

  test("searches only inside a subarray view", () => {
    const view = ascii("xxabcxx[DONE]").subarray(2, 5);
    expect(indexOfBytes(view, ascii("abc"))).toBe(0);
    expect(indexOfBytes(view, ascii("[DONE]"))).toBe(-1);
  });
});

describe("hasKeyWithValue", () => {
  const usageObject = (json: string) => hasKeyWithValue(ascii(json), ascii('"usage"'), 0x7b);
  test.each([
    ['{"usage":{"prompt_tokens":1}}', true],
    ['{"usage": {"prompt_tokens":1}}', true],
    ['{"usage" :\t\n{}}', true],
    ['{"usage":null}', false],
    ['{"usage": null}', false],
    ['{"name":"usage","x":{}}', false],
    ['{"content":"\\"usage\\": {"}', false],
    ['{"usage":null,"choices":[],"x":{"usage":{}}}', true],
    ["", false],
  ])("%s ⇒ %p", (json, expected) => {
    expect(usageObject(json)).toBe(expected);
  });
});
