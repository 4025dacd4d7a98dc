import { describe, expect, test } from "bun:test";
import { inspectAiRequest, withIncludeUsage } from "./ai-request.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("inspectAiRequest", () => {
  test("reads model, stream, tools, include_usage and max tokens", () => {
    expect(inspectAiRequest({ model: "m", stream: true, tools: [{ type: "function" }], stream_options: { include_usage: true }, max_tokens: 50 })).toEqual({
      model: "m",
      stream: true,
      usesTools: true,
      includeUsage: true,
      maxTokens: 50,
    });
    expect(inspectAiRequest({ model: 3, stream: "yes", tools: [] })).toEqual({
      model: null,
      stream: false,
      usesTools: false,
      includeUsage: false,
      maxTokens: null,
    });
    expect(inspectAiRequest({ functions: [{ name: "f" }] }).usesTools).toBe(true);
    expect(inspectAiRequest({ tool_choice: "auto" }).usesTools).toBe(true);
    expect(inspectAiRequest({ max_output_tokens: 9 }).maxTokens).toBe(9);
  });
});

describe("withIncludeUsage", () => {
  test("splices the member in without touching the client's bytes", () => {
    const raw = '  {"model":"m",   "stream":true,"messages":[{"role":"user","content":"hé {x}"}]}';
    const out = dec(withIncludeUsage(enc(raw), JSON.parse(raw)));
    expect(out).toBe('  {"stream_options":{"include_usage":true},"model":"m",   "stream":true,"messages":[{"role":"user","content":"hé {x}"}]}');
    expect(JSON.parse(out).stream_options).toEqual({ include_usage: true });
  });
  test("an object with no member (whitespace only) is re-serialised, never spliced into invalid JSON", () => {
    for (const raw of ["{}", "{ \n\t }"]) {
      expect(JSON.parse(dec(withIncludeUsage(enc(raw), JSON.parse(raw))))).toEqual({ stream_options: { include_usage: true } });
    }
    const spaced = '{ \n "stream":true}';
    expect(dec(withIncludeUsage(enc(spaced), JSON.parse(spaced)))).toBe('{"stream_options":{"include_usage":true}, \n "stream":true}');
  });
  test("merges into existing stream_options", () => {
    const raw = '{"stream":true,"stream_options":{"include_usage":false,"other":1}}';
    expect(JSON.parse(dec(withIncludeUsage(enc(raw), JSON.parse(raw))))).toEqual({
      stream: true,
      stream_options: { include_usage: true, other: 1 },
    });
  });
});
