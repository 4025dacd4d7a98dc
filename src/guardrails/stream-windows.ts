import type { GuardrailAction } from "./catalog.ts";
import { GuardrailBlocked, GuardrailUnavailable, type Applied, type RunState } from "./run.ts";
import { callHttpGuardrail, type HttpGuardrailOptions } from "./http/client.ts";

/**
 * One HTTP guardrail with `during_call` over the text of a stream, in windows. The stream stage
 * (streams/window-text-stage.ts) cuts the decoded text into windows and calls `check` for each;
 * this side speaks the protocol: `mode: "during_call"`, `response: {object: "stream.window",
 * index, text, final}`, and turns each reply into the text to release.
 *
 * - `allow`, `warn` ⇒ the window as it was; `modify` with `response.text` ⇒ that text (a
 *   `modify` without a string `text` is an invalid reply); `block` ⇒ GuardrailBlocked.
 * - No verdict (timeout, connection, status, invalid reply): `fail_closed` ⇒
 *   GuardrailUnavailable; `fail_open` ⇒ the window as it was, recorded as `warn`.
 * - `dry_run`: `check` answers at once with the window unchanged; the calls run behind the
 *   stream, one at a time, and only what they would have done is recorded.
 *
 * One execution event per stream (not per window): the strongest action seen (block > modify >
 * warn > allow), the summed guardrail wait, `{windows: n}`; never text.
 */
export interface WindowGuard {
  /** Text to release for this window: a string now (nothing to wait for), or once answered. */
  check(text: string, final: boolean): string | Promise<string>;
  /** The stream ended: record the event (a dry run's once its calls are answered). */
  end(): void;
  /** The stream ended early: abort a call in flight, record the event now. */
  cancel(): void;
  /** Resolves once the event is recorded. */
  readonly recorded: Promise<void>;
}

const STRENGTH: Readonly<Record<GuardrailAction, number>> = { allow: 0, warn: 1, modify: 2, block: 3 };

export function createWindowGuard({ guardrail, config }: Applied, state: RunState, options: Pick<HttpGuardrailOptions, "fetch"> = {}): WindowGuard {
  const target = { name: guardrail.name, endpointUrl: guardrail.endpointUrl!, timeoutMs: guardrail.timeoutMs, bearerToken: guardrail.bearerToken };
  const dryRun = guardrail.failurePolicy === "dry_run";
  const abort = new AbortController();
  const done = Promise.withResolvers<void>();
  let index = 0;
  let windows = 0;
  let waitedMs = 0;
  let action: GuardrailAction = "allow";
  let reason: string | null = null;
  let failed = false;
  let closed = false;
  let behind: Promise<unknown> = Promise.resolve(); // a dry run's calls, in order

  const record = () => {
    if (closed) return;
    closed = true;
    state.runs.push({
      name: guardrail.name,
      mode: "during_call",
      action,
      failurePolicy: guardrail.failurePolicy,
      failed,
      latencyMs: Math.round(waitedMs),
      reason,
      counts: { windows },
    });
    done.resolve();
  };
  const note = (seen: GuardrailAction, why: string | null) => {
    if (STRENGTH[seen] > STRENGTH[action] || (seen === action && reason === null)) {
      action = seen;
      reason = why;
    }
  };

  async function ask(text: string, final: boolean): Promise<string> {
    const response = { object: "stream.window", index: index++, text, final };
    const started = performance.now();
    const outcome = await callHttpGuardrail(
      target,
      { requestId: state.requestId, mode: "during_call", context: state.context, config, response },
      { ...options, signal: abort.signal },
    );
    if (closed) return text; // cancelled meanwhile: nobody reads it
    waitedMs += performance.now() - started;
    windows++;
    const verdict = outcome.ok ? outcome.verdict : null;
    const replaced = verdict?.action === "modify" ? (verdict.response as { text?: unknown }).text : undefined;
    if (!verdict || (verdict.action === "modify" && typeof replaced !== "string")) {
      failed = true;
      note("warn", outcome.ok ? "invalid_reply" : outcome.failure);
      if (guardrail.failurePolicy !== "fail_closed") return text;
      record();
      throw new GuardrailUnavailable(guardrail.name);
    }
    note(verdict.action, verdict.reason ?? null);
    if (dryRun) return text;
    if (verdict.action === "block") {
      record();
      throw new GuardrailBlocked(guardrail.name);
    }
    return typeof replaced === "string" ? replaced : text;
  }

  return {
    check(text, final) {
      if (!dryRun) return ask(text, final);
      behind = behind.then(() => ask(text, final)).catch(() => {});
      return text;
    },
    end() {
      if (dryRun) void behind.then(record);
      else record();
    },
    cancel() {
      abort.abort();
      record();
    },
    recorded: done.promise,
  };
}
