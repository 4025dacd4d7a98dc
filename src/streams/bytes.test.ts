import { describe, expect, test } from "bun:test";
import { ascii, bytesAt, hasKeyWithValue, indexOfBytes, utf8Range } from "./bytes.ts";

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

describe("bytesAt", () => {
  const long = "data: {\"id\":\"chatcmpl-1\",\"choices\":["; // past the native-compare threshold
  const hay = ascii(`${long}{"delta":{}}]}\n\n`);
  test.each([
    ["data: {", 0, true],
    ["data:{", 0, false],
    [long, 0, true],
    [long.replace("1", "2"), 0, false],
    ["]}\n\n", hay.length - 4, true],
    ["]}\n\n\n", hay.length - 4, false], // runs past the end
    ["", hay.length, true],
    ["d", -1, false],
  ])("%j at %p", (part, at, expected) => {
    expect(bytesAt(hay, ascii(part), at)).toBe(expected);
  });

  test("compares inside a subarray view only", () => {
    const view = ascii("xxdata: {xx").subarray(2, 9);
    expect(bytesAt(view, ascii("data: {"))).toBe(true);
    expect(bytesAt(view, ascii("data: {x"))).toBe(false);
  });
});

describe("utf8Range", () => {
  test("decodes a range of a view, multi-byte characters included", () => {
    const view = ascii('xx"é🌍 ok"xx').subarray(2);
    expect(utf8Range(view, 1, view.length - 3)).toBe("é🌍 ok");
  });

  test("an invalid byte becomes U+FFFD, as with TextDecoder", () => {
    const bytes = new Uint8Array([0x61, 0xff, 0x62]);
    expect(utf8Range(bytes, 0, 3)).toBe(new TextDecoder().decode(bytes));
  });
});
