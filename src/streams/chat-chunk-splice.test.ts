import { describe, expect, test } from "bun:test";
import { contentIn, contentInWire, contentShape, holdsNoText, insertContent, withContent, withContentWire, wireShape } from "./chat-chunk-splice.ts";

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
  ])("contentShape + withContent: %s", (_name, data, old, next, expected) => {
    const shape = contentShape(data, old);
    expect(shape && withContent(shape, next)).toBe(expected);
  });

  const shape = contentShape('{"id":"c","choices":[{"index":0,"delta":{"content":"lorem ip"},"finish_reason":null}]}', "lorem ip")!;

  test("contentShape: the text around the content value, the value left out", () => {
    expect(shape).toEqual({ head: '{"id":"c","choices":[{"index":0,"delta":{"content":', tail: '},"finish_reason":null}]}' });
    expect(contentShape('{"a":{"content":"x"},"delta":{"content":"x"}}', "x")).toBeNull();
  });

  test.each([
    ["same shape", '{"id":"c","choices":[{"index":0,"delta":{"content":"sum dolo"},"finish_reason":null}]}', "sum dolo"],
    ["empty value", '{"id":"c","choices":[{"index":0,"delta":{"content":""},"finish_reason":null}]}', ""],
    ["non-ASCII", '{"id":"c","choices":[{"index":0,"delta":{"content":"é🌍"},"finish_reason":null}]}', "é🌍"],
    ["an escape in the value", '{"id":"c","choices":[{"index":0,"delta":{"content":"a\\"b"},"finish_reason":null}]}', null],
    ["a quote ends the value early", '{"id":"c","choices":[{"index":0,"delta":{"content":"a","x":"b"},"finish_reason":null}]}', null],
    ["a control character", '{"id":"c","choices":[{"index":0,"delta":{"content":"a\tb"},"finish_reason":null}]}', null],
    ["null content", '{"id":"c","choices":[{"index":0,"delta":{"content":null},"finish_reason":null}]}', null],
    ["other head", '{"id":"d","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}', null],
    ["other tail", '{"id":"c","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}', null],
    ["head and tail overlap", '{"id":"c","choices":[{"index":0,"delta":{"content":},"finish_reason":null}]}', null],
  ])("contentIn: %s", (_name, data, expected) => {
    expect(contentIn(data, shape)).toBe(expected);
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

  describe("on the wire: frames written as one `data: ` line", () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    const framed = (data: string) => bytes(`data: ${data}\n\n`);
    const learnt = '{"id":"c","choices":[{"index":0,"delta":{"content":"lorem ip"},"finish_reason":null}]}';
    const wire = wireShape(shape, framed(learnt), "lorem ip")!;

    test("wireShape: the frame's own bytes around the value", () => {
      expect(text(wire.head)).toBe(`data: ${shape.head}`);
      expect(text(wire.tail)).toBe(`${shape.tail}\n\n`);
    });

    test.each([
      ["CRLF line ends", bytes(`data: ${learnt}\r\n\r\n`)],
      ["no space after the colon", bytes(`data:${learnt}\n\n`)],
      ["an event line", bytes(`event: x\ndata: ${learnt}\n\n`)],
    ])("wireShape: null when the frame is not written that way: %s", (_name, raw) => {
      expect(wireShape(shape, raw, "lorem ip")).toBeNull();
    });

    test("wireShape: null when an invalid byte was decoded to U+FFFD (its text is longer than its bytes)", () => {
      const raw = framed(learnt);
      raw[10] = 0xff; // in the id
      const decoded = text(raw).slice(6, -2);
      const odd = contentShape(decoded, "lorem ip")!;
      expect(odd.head).toContain("\uFFFD");
      expect(wireShape(odd, raw, "lorem ip")).toBeNull();
    });

    // The same cases as contentIn, as wire bytes: the answers must agree.
    test.each([
      ['{"id":"c","choices":[{"index":0,"delta":{"content":"sum dolo"},"finish_reason":null}]}', "sum dolo"],
      ['{"id":"c","choices":[{"index":0,"delta":{"content":""},"finish_reason":null}]}', ""],
      ['{"id":"c","choices":[{"index":0,"delta":{"content":"é🌍"},"finish_reason":null}]}', "é🌍"],
      ['{"id":"c","choices":[{"index":0,"delta":{"content":"a\\"b"},"finish_reason":null}]}', null],
      ['{"id":"c","choices":[{"index":0,"delta":{"content":"a","x":"b"},"finish_reason":null}]}', null],
      ['{"id":"c","choices":[{"index":0,"delta":{"content":"a\tb"},"finish_reason":null}]}', null],
      ['{"id":"c","choices":[{"index":0,"delta":{"content":null},"finish_reason":null}]}', null],
      ['{"id":"d","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}', null],
      ['{"id":"c","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}', null],
      ['{"id":"c","choices":[{"index":0,"delta":{"content":},"finish_reason":null}]}', null],
    ])("contentInWire: %s", (data, expected) => {
      expect(contentInWire(framed(data), wire)).toBe(expected);
      expect(contentIn(data, shape)).toBe(expected);
    });

    test("contentInWire: a frame not ending as the learnt one did is not read", () => {
      expect(contentInWire(bytes(`data: ${learnt}\r\n\r\n`), wire)).toBeNull();
    });

    // Printable ASCII is written byte for byte; the rest (quotes, backslashes, control characters,
    // DEL, non-ASCII) goes through JSON.stringify: the bytes are the same either way.
    test.each([["sum "], ["~ !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}"], ['a"b\\c'], ["a\nb\tc\u0000"], ["\u007f"], ["é🌍"], ["\u2028"], [""]])("withContentWire: the bytes of withContent's frame (%s)", (next) => {
      expect(text(withContentWire(wire, next))).toBe(`data: ${withContent(shape, next)}\n\n`);
    });
  });
});
