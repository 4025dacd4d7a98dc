/**
 * pii-redact over streamed tool-call arguments: `delta.tool_calls[i].function.arguments`
 * fragments of two interleaved tool calls (and content) split at every pair of offsets. The
 * arguments the client assembles must equal the non-streaming `restoreText` of each call's
 * whole arguments, and no fragment may ever carry a raw value (restore off) or part of a
 * placeholder that is later restored (restore on).
 */
import { describe, expect, test } from "bun:test";
import { createStreamRedactor, PiiVault, redactText, restoreText } from "../guardrails/pii-redact/index.ts";
import { createDeltaTextStage } from "./delta-text-transform.ts";
import { SseFrame } from "./sse-frame.ts";

const REQUEST = "mail jane.doe@example.com";
const ARGS = ['{"to":"[EMAIL_1]","cc":"new.person@corp.io"}', '{"phone":"+1 (415) 555-0100","note":"café 🌍"}'];
const SECRETS = ["jane.doe@example.com", "new.person@corp.io", "(415) 555-0100"];

type Call = { index: number; id?: string; type?: string; function: { name?: string; arguments: string } };
const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  SseFrame.fromData(JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] }));
const piece = (tool: number, args: string, head = false): Call =>
  head ? { index: tool, id: `call_${tool}`, type: "function", function: { name: "send", arguments: args } } : { index: tool, function: { arguments: args } };

/** The tool calls' arguments cut at `a` and `b`, interleaved, then the finish chunk and [DONE]. */
function framesOf(a: number, b: number): SseFrame[] {
  const cuts = ARGS.map((args) => [args.slice(0, a), args.slice(a, b), args.slice(b)]);
  const frames = [chunk({ role: "assistant", content: null, tool_calls: [piece(0, cuts[0]![0]!, true)] })];
  frames.push(chunk({ tool_calls: [piece(1, cuts[1]![0]!, true)] }));
  for (let part = 1; part < 3; part++) {
    frames.push(chunk({ tool_calls: [piece(0, cuts[0]![part]!)] }));
    frames.push(chunk({ tool_calls: [piece(1, cuts[1]![part]!)] }));
  }
  frames.push(chunk({}, "tool_calls"), SseFrame.fromData("[DONE]"));
  return frames;
}

function run(frames: SseFrame[], restore: boolean) {
  const vault = new PiiVault();
  redactText(REQUEST, vault);
  const stage = createDeltaTextStage(() => createStreamRedactor(vault, { restore }));
  const out: SseFrame[] = [];
  for (const frame of frames) stage.frame(frame, (f) => out.push(f));
  stage.end((f) => out.push(f));
  const fragments: string[][] = [[], []];
  for (const frame of out) {
    if (!frame.data.startsWith("{")) continue;
    for (const choice of JSON.parse(frame.data).choices) {
      for (const call of (choice.delta.tool_calls ?? []) as Call[]) fragments[call.index]!.push(call.function.arguments);
    }
  }
  return { fragments, expected: ARGS.map((args) => restoreText(args, vault, { restore })), last: out.at(-1)!.data };
}

describe("pii-redact over tool-call argument deltas", () => {
  for (const restore of [true, false]) {
    test(`every pair of split offsets, restore_output ${restore}`, () => {
      const longest = Math.max(...ARGS.map((args) => args.length));
      for (let a = 0; a <= longest; a++) {
        for (let b = a; b <= longest; b++) {
          const { fragments, expected, last } = run(framesOf(a, b), restore);
          expect(last).toBe("[DONE]");
          for (const tool of [0, 1]) {
            const assembled = fragments[tool]!.join("");
            expect(assembled).toBe(expected[tool]!);
            // Every prefix the client has seen is a prefix of the final arguments: nothing unsafe went early.
            let seen = "";
            for (const fragment of fragments[tool]!) {
              seen += fragment;
              expect(expected[tool]!.startsWith(seen)).toBe(true);
            }
          }
        }
      }
    });
  }

  test("what each restore_output setting gives the client", () => {
    const on = run(framesOf(5, 17), true);
    expect(on.fragments[0]!.join("")).toBe('{"to":"jane.doe@example.com","cc":"[EMAIL_2]"}');
    const off = run(framesOf(5, 17), false);
    expect(off.fragments[0]!.join("")).toBe('{"to":"[EMAIL_1]","cc":"[EMAIL_2]"}');
    for (const value of SECRETS) expect(JSON.stringify(off.fragments)).not.toContain(value);
    expect(off.fragments[1]!.join("")).toBe('{"phone":"[PHONE_1]","note":"café 🌍"}');
  });

  test("a stream cut before its finish chunk still gets the held arguments, in a synthetic chunk", () => {
    const frames = framesOf(3, 30).slice(0, -2);
    const { fragments, expected } = run(frames, false);
    expect(fragments.map((f) => f.join(""))).toEqual(expected);
  });
});
