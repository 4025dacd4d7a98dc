import { describe, expect, test } from "bun:test";
import { usageFromJsonBody, usageOf } from "./response-usage.ts";

describe("usage of JSON answers", () => {
  test("chat completion usage and reported cost", () => {
    const body = JSON.stringify({ id: "x", choices: [], usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17, cost: 0.002 } });
    expect(usageFromJsonBody(body)).toEqual({ inputTokens: 12, outputTokens: 5, totalTokens: 17, costUsd: 0.002 });
  });
  test("responses API usage; total derived when absent", () => {
    expect(usageOf({ usage: { input_tokens: 3, output_tokens: 4 } })).toEqual({ inputTokens: 3, outputTokens: 4, totalTokens: 7, costUsd: null });
  });
  test("LiteLLM's hidden params cost", () => {
    expect(usageOf({ usage: { prompt_tokens: 1 }, _hidden_params: { response_cost: 0.25 } })?.costUsd).toBe(0.25);
  });
  test("top-level response_cost", () => {
    expect(usageFromJsonBody('{"usage":{"prompt_tokens":1,"completion_tokens":1},"response_cost":0.5}')?.costUsd).toBe(0.5);
  });
  test("large bodies: only the trailing usage object is parsed", () => {
    const embedding = Array.from({ length: 40_000 }, (_, i) => i / 7);
    const body = JSON.stringify({ data: [{ embedding, note: 'a "usage": {"prompt_tokens": 999}' }], usage: { prompt_tokens: 8, total_tokens: 8 } });
    expect(body.length).toBeGreaterThan(64 * 1024);
    expect(usageFromJsonBody(body)).toEqual({ inputTokens: 8, outputTokens: 0, totalTokens: 8, costUsd: null });
  });
  test("no usage, or garbage, is null", () => {
    expect(usageFromJsonBody('{"ok":true}')).toBeNull();
    expect(usageFromJsonBody("not json")).toBeNull();
    expect(usageOf({ usage: { prompt_tokens: -1 } })).toEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 0, costUsd: null });
  });
});
