import { describe, expect, test } from "bun:test";
import { holdsNoText, insertContent, replaceContent } from "./chat-chunk-splice.ts";

describe("chat chunk splices", () => {
  test.each([
    ["role chunk", '{"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null}}]}', true],
    ["null content, spaced", '{"choices":[{"delta":{"content" : null}}]}', true],
    ["finish chunk", '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}', true],
    ["usage chunk", '{"choices":[],"usage":{"total_tokens":3}}', true],
    ["content as a value, not a key", '{"choices":[{"delta":{"type":"content"}}]}', true],
    ["text", '{"choices":[{"delta":{"content":"hi"}}]}', false],
    ["second content with text", '{"choices":[{"delta":{"content":""}},{"delta":{"content":"a"}}]}', false],
    ["content array (logprobs)", '{"choices":[{"logprobs":{"content":[]}}]}', false],
    ["tool calls", '{"choices":[{"delta":{"tool_calls":[]}}]}', false],
    ["an escaped key", '{"choices":[{"delta":{"conten\\u0074":"a@b.io"}}]}', false],
  ])("holdsNoText: %s", (_name, data, expected) => {
    expect(holdsNoText(data)).toBe(expected);
  });

  test.each([
    ["compact", '{"delta":{"content":"lorem ip"},"n":1}', "lorem ip", "lorem ", '{"delta":{"content":"lorem "},"n":1}'],
    ["spaced, quotes in the value", '{"delta": {"content" : "a\\"b"}, "n": 1}', 'a"b', "", '{"delta": {"content" : ""}, "n": 1}'],
    ["value escaped differently", '{"delta":{"content":"\\u00e9"}}', "é", "", null],
    ["two content keys", '{"a":{"content":"x"},"delta":{"content":"x"}}', "x", "", null],
    ["backslash elsewhere", '{"id":"a\\\\b","delta":{"content":"x"}}', "x", "", null],
    ["not the value expected", '{"delta":{"content":"xy"}}', "x", "", null],
  ])("replaceContent: %s", (_name, data, old, next, expected) => {
    expect(replaceContent(data, old, next)).toBe(expected);
  });

  test.each([
    ["finish chunk", '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"n":12345678901234567890}', '{"choices":[{"index":0,"delta":{"content":"a\\"b"},"finish_reason":"stop"}],"n":12345678901234567890}'],
    ["spaced", '{"delta" : { }, "x": 1}', '{"delta" : {"content":"a\\"b"}, "x": 1}'],
    ["delta not empty", '{"delta":{"role":"assistant"}}', null],
    ["two deltas", '{"choices":[{"delta":{}},{"delta":{}}]}', null],
    ["a backslash", '{"id":"\\u0061","delta":{}}', null],
  ])("insertContent: %s", (_name, data, expected) => {
    expect(insertContent(data, 'a"b')).toBe(expected);
  });
});
