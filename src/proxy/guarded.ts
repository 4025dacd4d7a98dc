import { selectGuardrails } from "../core/guardrail-selection.ts";
import type { GuardrailDefinition } from "../guardrails/catalog.ts";
import { createStreamRedactor, PiiVault, restoreText, type PiiCounts } from "../guardrails/pii-redact/index.ts";
import { GuardrailBlocked, GuardrailUnavailable, restoreOutput, runGuardrails, type Applied, type RunState } from "../guardrails/run.ts";
import { GatewayError } from "../http/errors.ts";
import type { KeyRecord } from "../store/repos/key-records.ts";
import { DEFAULT_WINDOW_CHARS, WINDOW_CHARS_RULE, windowCharsOf } from "../guardrails/http/window-config.ts";
import { createWindowGuard, type WindowGuard } from "../guardrails/stream-windows.ts";
import { ERROR_CODES } from "../http/error-codes.ts";
import { createDeltaTextStage } from "../streams/delta-text-transform.ts";
import { createDeltaWindowStage } from "../streams/delta-window-stage.ts";
import { StreamHalt, type Emit, type FrameStage } from "../streams/frame-stage.ts";
import { createResponsesTextStage } from "../streams/responses-text-transform.ts";
import { createResponsesWindowStage } from "../streams/responses-window-stage.ts";
import { SseFrame } from "../streams/sse-frame.ts";
import type { TextWindows } from "../streams/text-windows.ts";

export interface GuardrailPlan {
  applied: Applied[];
  /** The client named optional guardrails in its body: the field is removed before forwarding. */
  requestedField: boolean;
}

const responseModes = (g: GuardrailDefinition) => g.modes.includes("post_call") || g.modes.includes("during_call");

const isHttpWindowed = (g: GuardrailDefinition) => g.providerKind === "http" && g.modes.includes("during_call");

/**
 * Which guardrails run (contract 8), checked before anything is sent upstream. A streamed
 * answer is guarded only by guardrails that can run during the call, on chat completion and
 * Responses streams: built-in ones over the text deltas, HTTP ones over text windows (their
 * `window_chars` must be valid). Any other response guardrail on a stream fails closed with
 * guardrail_unavailable rather than buffering the stream silently.
 */
export function planGuardrails(
  catalog: ReadonlyMap<string, GuardrailDefinition>,
  defaults: readonly string[],
  key: KeyRecord,
  body: Record<string, unknown>,
  stream: { on: boolean; kind: string },
): GuardrailPlan {
  const requestedField = Object.hasOwn(body, "guardrails");
  const selection = selectGuardrails(catalog, key.guardrailPolicy, body.guardrails, defaults);
  if (!selection.ok) throw new GatewayError(selection.code, { message: selection.message });
  if (stream.on) {
    const textStream = stream.kind === "chat" || stream.kind === "responses";
    for (const { guardrail, config } of selection.applied) {
      if (textStream && isHttpWindowed(guardrail) && windowCharsOf(config) === null) {
        throw new GatewayError("guardrail_unavailable", { message: `A guardrail of this key has an invalid window_chars: it ${WINDOW_CHARS_RULE}.` });
      }
      if (!responseModes(guardrail) || guardrail.failurePolicy === "dry_run") continue;
      if (!(textStream && guardrail.modes.includes("during_call"))) {
        throw new GatewayError("guardrail_unavailable", { message: "A guardrail of this key cannot run on a streamed answer." });
      }
    }
  }
  return { applied: selection.applied, requestedField };
}

/** Guardrail outcomes as the contract's errors (no guardrail internals in the message). */
export function asGatewayError(err: unknown): unknown {
  if (err instanceof GuardrailBlocked) return new GatewayError("guardrail_blocked");
  if (err instanceof GuardrailUnavailable) return new GatewayError("guardrail_unavailable");
  return err;
}

/** Pre-call guardrails on the request JSON (the `guardrails` field dropped first). */
export async function guardRequest(plan: GuardrailPlan, body: Record<string, unknown>, state: RunState): Promise<Record<string, unknown>> {
  let value = body;
  if (plan.requestedField) {
    const { guardrails: _requested, ...rest } = body;
    value = rest;
  }
  return runGuardrails(plan.applied, "pre_call", value, state).catch((err) => {
    throw asGatewayError(err);
  });
}

/** The client's stream ends with this SSE error event (the status line, 200, is long gone). */
function haltFrame(code: "guardrail_blocked" | "guardrail_unavailable", kind: "chat" | "responses", requestId: string): SseFrame {
  const { type, message } = ERROR_CODES[code];
  const error = { code, type, message, request_id: requestId };
  // Chat SDKs raise any chunk with an `error`; Responses clients expect an `error` event.
  return kind === "chat"
    ? SseFrame.fromData(JSON.stringify({ error }))
    : SseFrame.fromData(JSON.stringify({ type: "error", code, message, param: null, error }), "error");
}

function windowStage(applied: Applied, state: RunState, kind: "chat" | "responses"): { stage: FrameStage; guard: WindowGuard } {
  const guard = createWindowGuard(applied, state);
  const halt = (err: unknown): never => {
    const code = err instanceof GuardrailBlocked ? "guardrail_blocked" : "guardrail_unavailable";
    throw new StreamHalt(code, haltFrame(code, kind, state.requestId));
  };
  const windows: TextWindows = {
    chars: windowCharsOf(applied.config) ?? DEFAULT_WINDOW_CHARS,
    holds: applied.guardrail.failurePolicy !== "dry_run",
    check(text, final) {
      const out = guard.check(text, final);
      return typeof out === "string" ? out : out.catch(halt);
    },
    end: () => guard.end(),
    cancel: () => guard.cancel(),
  };
  return { stage: kind === "chat" ? createDeltaWindowStage(windows) : createResponsesWindowStage(windows), guard };
}

const TIMED_FRAMES = 16;
const SAMPLE_EVERY = 8;

/**
 * A built-in during-call run is one execution event, like a pre- or post-call one: recorded when
 * the stream ends or is cut (before the exchange writes its events), with the values found in
 * the answer by category and the time spent in the stage (estimated from a sample of the frames
 * past the first few); `modify` when it redacted anything.
 * (A class rather than closures: every guarded stream opens one.)
 */
class RecordedRun implements FrameStage {
  readonly #stage: FrameStage;
  readonly #guardrail: GuardrailDefinition;
  readonly #state: RunState;
  readonly #vault: PiiVault;
  readonly #before: PiiCounts;
  #spentMs = 0;
  #frames = 0;
  #recorded = false;

  constructor(stage: FrameStage, guardrail: GuardrailDefinition, state: RunState) {
    this.#stage = stage;
    this.#guardrail = guardrail;
    this.#state = state;
    this.#vault = state.vault ??= new PiiVault();
    this.#before = this.#vault.counts();
  }

  frame(frame: SseFrame, emit: Emit): void | Promise<void> {
    // Timed on every frame up to TIMED_FRAMES, then on one in SAMPLE_EVERY counted that many
    // times: two clock reads were ~8% of the stage's cost per frame, and the event records
    // whole milliseconds.
    const n = this.#frames++;
    if (n >= TIMED_FRAMES && n % SAMPLE_EVERY !== 0) return this.#stage.frame(frame, emit);
    const started = performance.now();
    const done = this.#stage.frame(frame, emit);
    this.#spentMs += (performance.now() - started) * (n < TIMED_FRAMES ? 1 : SAMPLE_EVERY);
    return done;
  }

  end(emit: Emit): void | Promise<void> {
    const done = this.#stage.end(emit);
    this.#record();
    return done;
  }

  cancel(): void {
    this.#stage.cancel?.();
    this.#record();
  }

  #record(): void {
    if (this.#recorded) return;
    this.#recorded = true;
    const counts = this.#vault.countsSince(this.#before) as unknown as Record<string, number>;
    this.#state.runs.push({
      name: this.#guardrail.name,
      mode: "during_call",
      action: Object.values(counts).some((n) => n > 0) ? "modify" : "allow",
      failurePolicy: this.#guardrail.failurePolicy,
      failed: false,
      latencyMs: Math.round(this.#spentMs),
      reason: null,
      counts,
    });
  }
}

function redactStage(state: RunState, kind: "chat" | "responses", restore: boolean): FrameStage {
  const vault = (state.vault ??= new PiiVault());
  const options = { restore };
  const channel = () => createStreamRedactor(vault, options);
  return kind === "chat" ? createDeltaTextStage(channel) : createResponsesTextStage(channel, (text) => restoreText(text, vault, options));
}

export interface StreamGuards {
  stages: FrameStage[];
  /** Resolves once every HTTP guardrail recorded its event (a dry run's calls answer after the stream). */
  recorded: Promise<unknown> | null;
}

/**
 * During-call stages for a stream, in the guardrails' order, each seeing the previous one's
 * output: built-in redaction over the decoded deltas (content and tool-call arguments), HTTP
 * guardrails over text windows. An HTTP guardrail must never see the PII pii-redact hides, so
 * when pii-redact comes before one, it keeps the placeholders and a last stage restores them
 * (restore_output) after the last HTTP guardrail.
 */
export function streamStages(plan: GuardrailPlan, state: RunState, kind: "chat" | "responses"): StreamGuards {
  const during = plan.applied.filter(
    ({ guardrail }) => guardrail.modes.includes("during_call") && (guardrail.providerKind === "http" || guardrail.failurePolicy !== "dry_run"),
  );
  const lastHttp = during.findLastIndex(({ guardrail }) => guardrail.providerKind === "http");
  const stages: FrameStage[] = [];
  const guards: WindowGuard[] = [];
  let restoreLast = false;
  during.forEach((applied, i) => {
    if (applied.guardrail.providerKind === "http") {
      const { stage, guard } = windowStage(applied, state, kind);
      stages.push(stage);
      guards.push(guard);
      return;
    }
    const restore = restoreOutput(applied.config);
    if (restore && i < lastHttp) restoreLast = true;
    stages.push(new RecordedRun(redactStage(state, kind, restore && i > lastHttp), applied.guardrail, state));
  });
  if (restoreLast) stages.push(redactStage(state, kind, true));
  return { stages, recorded: guards.length > 0 ? Promise.all(guards.map((g) => g.recorded)) : null };
}

export const needsPostCall = (plan: GuardrailPlan) => plan.applied.some(({ guardrail }) => guardrail.modes.includes("post_call"));
