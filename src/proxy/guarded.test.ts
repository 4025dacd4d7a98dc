import { describe, expect, spyOn, test } from "bun:test";
import type { GuardrailDefinition } from "../guardrails/catalog.ts";
import type { RunState } from "../guardrails/run.ts";
import { chainStages } from "../streams/frame-stage.ts";
import { SseFrame } from "../streams/sse-frame.ts";
import { streamStages, type GuardrailPlan } from "./guarded.ts";

const PII_REDACT: GuardrailDefinition = {
  name: "pii-redact",
  description: "",
  providerKind: "built_in",
  modes: ["pre_call", "post_call", "during_call"],
  failurePolicy: "fail_closed",
  enabled: true,
  defaultOn: false,
  configSchema: {},
  runtimeConfig: { restore_output: true },
  endpointUrl: null,
  timeoutMs: 1500,
  bearerToken: null,
};

const plan: GuardrailPlan = { applied: [{ guardrail: PII_REDACT, config: { restore_output: true } }], requestedField: false };
const newState = (): RunState => ({
  requestId: "req-1",
  context: { key_id: null, project_id: null, model: "m", route: "/v1/chat/completions", provider: "litellm" },
  vault: null,
  runs: [],
});
const chunk = (content: string) =>
  new SseFrame(new TextEncoder().encode(`data: ${JSON.stringify({ id: "c", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`));

describe("during-call pii-redact on a stream is one execution event", () => {
  test("new PII in the answer: one during_call run, modify, counted by category, no content", () => {
    const state = newState();
    const out: string[] = [];
    const chain = chainStages(streamStages(plan, state, "chat").stages, (frame) => void out.push(frame.data));
    for (const part of ["Write to jo", "hn.smith@exam", "ple.org or call 415-555-", "0100 today."]) chain.frame(chunk(part));
    chain.end();
    expect(state.runs).toHaveLength(1);
    const [run] = state.runs;
    expect(run).toMatchObject({ name: "pii-redact", mode: "during_call", action: "modify", failed: false, reason: null });
    expect(run!.counts).toMatchObject({ email: 1, phone: 1 });
    expect(run!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(state.runs)).not.toContain("john.smith");
    expect(out.join("")).not.toContain("john.smith@example.org");
  });

  test("a long stream's stage time is sampled past 16 frames and scaled: exact when every frame costs the same", () => {
    const state = newState();
    const chain = chainStages(streamStages(plan, state, "chat").stages, () => {});
    // Every clock read advances 1 ms: each timed frame measures 1 ms.
    let clock = 0;
    const now = spyOn(performance, "now").mockImplementation(() => clock++);
    try {
      for (let i = 0; i < 40; i++) chain.frame(chunk(`word${i} `));
      chain.end();
    } finally {
      now.mockRestore();
    }
    expect(state.runs[0]!.latencyMs).toBe(40);
    // Frames 0-15 and then 16, 24, 32: two reads each, not two per frame.
    expect(clock).toBe(2 * (16 + 3));
  });

  test("nothing to redact: allow with no counts; a cut stream records its run once", () => {
    const state = newState();
    const chain = chainStages(streamStages(plan, state, "chat").stages, () => {});
    chain.frame(chunk("Hello there"));
    chain.cancel();
    chain.cancel();
    expect(state.runs).toHaveLength(1);
    expect(state.runs[0]).toMatchObject({ mode: "during_call", action: "allow" });
    expect(Object.values(state.runs[0]!.counts).every((n) => n === 0)).toBe(true);
  });
});
