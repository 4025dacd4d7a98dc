import { describe, expect, spyOn, test } from "bun:test";
import { parseDataObject, SseFrame } from "./sse-frame.ts";
import { bytesOf, textOf } from "./stream-test-helpers.ts";

const frame = (text: string) => new SseFrame(bytesOf(text));

describe("SseFrame fields", () => {
  test.each([
    ["one data line", "data: hello\n\n", undefined, "hello"],
    ["no space after the colon", "data:hello\n\n", undefined, "hello"],
    ["only one leading space is stripped", "data:  two\n\n", undefined, " two"],
    ["multi-line data joined by \\n", "data: a\ndata: b\ndata:\ndata: c\n\n", undefined, "a\nb\n\nc"],
    ["event name", "event: response.completed\ndata: {}\n\n", "response.completed", "{}"],
    ["last event field wins", "event: a\nevent: b\ndata: x\n\n", "b", "x"],
    ["comments ignored", ": keep-alive\ndata: x\n: more\n\n", undefined, "x"],
    ["comment-only frame", ": ping\n\n", undefined, ""],
    ["id and retry ignored", "id: 7\nretry: 100\ndata: x\n\n", undefined, "x"],
    ["field without colon", "data\ndata: x\n\n", undefined, "\nx"],
    ["colon inside the value", "data: a: b\n\n", undefined, "a: b"],
    ["CRLF line endings", "event: e\r\ndata: a\r\ndata: b\r\n\r\n", "e", "a\nb"],
    ["CR line endings", "event: e\rdata: a\rdata: b\r\r", "e", "a\nb"],
    ["unterminated trailing frame", "data: tail", undefined, "tail"],
    ["multi-byte UTF-8", "data: héllo 🌍\n\n", undefined, "héllo 🌍"],
    ["blank-line-only frame", "\n", undefined, ""],
  ])("%s", (_name, text, event, data) => {
    const parsed = frame(text);
    expect(parsed.event).toBe(event);
    expect(parsed.data).toBe(data);
  });
});

describe("SseFrame bytes", () => {
  test("unmodified frames return their raw bytes, the same object", () => {
    const raw = bytesOf("event: e\r\ndata:x\r\n: c\r\n\r\n");
    const parsed = new SseFrame(raw);
    expect(parsed.data).toBe("x");
    expect(parsed.raw).toBe(raw);
    expect(parsed.toBytes()).toBe(raw);
  });

  test("replaceData drops the raw bytes and re-serialises event and data lines", () => {
    const parsed = frame("event: message\nid: 1\ndata: old\n\n");
    parsed.replaceData("new\nlines\r\nhere");
    expect(parsed.raw).toBeNull();
    expect(parsed.data).toBe("new\nlines\r\nhere");
    expect(textOf(parsed.toBytes())).toBe("event: message\ndata: new\ndata: lines\ndata: here\n\n");
  });

  test("replaceData without an event field writes data lines only", () => {
    const parsed = frame("data: {\"a\":1}\n\n");
    parsed.replaceData('{"a":2}');
    expect(textOf(parsed.toBytes())).toBe('data: {"a":2}\n\n');
    parsed.replaceData("");
    expect(textOf(parsed.toBytes())).toBe("data: \n\n");
  });

  test("replaceBytes puts new wire bytes in; event, data and object are read from them", () => {
    const parsed = frame('event: a\ndata: {"n":1}\n\n');
    expect(parsed.object()).toEqual({ n: 1 });
    const next = bytesOf('data: {"n":2}\n\n');
    parsed.replaceBytes(next);
    expect(parsed.raw).toBe(next);
    expect(parsed.toBytes()).toBe(next);
    expect(parsed.event).toBeUndefined();
    expect(parsed.data).toBe('{"n":2}');
    expect(parsed.object()).toEqual({ n: 2 });
  });

  test("fromData builds a modified frame", () => {
    const built = SseFrame.fromData("x\ny", "ping");
    expect(built.raw).toBeNull();
    expect(built.event).toBe("ping");
    expect(textOf(built.toBytes())).toBe("event: ping\ndata: x\ndata: y\n\n");
    expect(textOf(SseFrame.fromData("[DONE]").toBytes())).toBe("data: [DONE]\n\n");
  });
});

describe("parseDataObject", () => {
  test("a JSON object, leading whitespace allowed; anything else is null", () => {
    expect(parseDataObject<{ a: number }>('{"a":1}')).toEqual({ a: 1 });
    expect(parseDataObject<{ a: number }>(' \n{"a":2}')).toEqual({ a: 2 });
    for (const data of ["[DONE]", "[1,2]", '"text"', "42", "", "{not json", "null"]) expect(parseDataObject(data)).toBeNull();
  });
});

describe("SseFrame.object", () => {
  test("parsed once; replaced data is parsed again unless its object is handed on", () => {
    const f = frame('data: {"a":1}\n\n');
    const first = f.object<{ a: number }>();
    expect(first).toEqual({ a: 1 });
    expect(f.object()).toBe(first);
    f.replaceData('{"a":2}');
    expect(f.object()).toEqual({ a: 2 });
    const changed = { a: 3 };
    f.replaceData(JSON.stringify(changed), changed);
    expect(f.object()).toBe(changed);
    expect(frame("data: [DONE]\n\n").object()).toBeNull();
  });

  test("a stage's changed chunk is the one the usage tap reads after it (no second parse)", () => {
    const f = frame('data: {"choices":[{"delta":{"content":"a"}}]}\n\n');
    const chunk = f.object<{ choices: { delta: { content: string } }[] }>()!;
    chunk.choices[0]!.delta.content = "b";
    f.replaceData(JSON.stringify(chunk), chunk);
    const parse = spyOn(JSON, "parse");
    try {
      expect(f.object()).toEqual({ choices: [{ delta: { content: "b" } }] });
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });
});
