import { selectGuardrails } from "../core/guardrail-selection.ts";
import type { GuardrailDefinition } from "../guardrails/catalog.ts";
import { createStreamRedactor, PiiVault, restoreText } from "../guardrails/pii-redact/index.ts";
import { GuardrailBlocked, GuardrailUnavailable, restoreOutput, runGuardrails, type Applied, type RunState } from "../guardrails/run.ts";
import { GatewayError } from "../http/errors.ts";
import type { KeyRecord } from "../store/repos/key-records.ts";
import { createDeltaTextStage } from "../streams/delta-text-transform.ts";
import type { FrameStage } from "../streams/frame-stage.ts";
import { createResponsesTextStage } from "../streams/responses-text-transform.ts";

export interface GuardrailPlan {
  applied: Applied[];
  /** The client named optional guardrails in its body: the field is removed before forwarding. */
  requestedField: boolean;
}

const responseModes = (g: GuardrailDefinition) => g.modes.includes("post_call") || g.modes.includes("during_call");

/**
 * Which guardrails run (contract 8), checked before anything is sent upstream. A streamed
 * answer is guarded only by guardrails that can run during the call: built-in ones, on chat
 * completion and Responses streams (HTTP ones need text windows: not built yet). Any other response guardrail on a stream fails closed with
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
    for (const { guardrail } of selection.applied) {
      if (!responseModes(guardrail) || guardrail.failurePolicy === "dry_run") continue;
      const streamable =
        guardrail.modes.includes("during_call") && guardrail.providerKind === "built_in" && (stream.kind === "chat" || stream.kind === "responses");
      if (!streamable) throw new GatewayError("guardrail_unavailable", { message: "A guardrail of this key cannot run on a streamed answer." });
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

/** During-call transforms for a stream: built-in redaction over the decoded text of its deltas. */
export function streamStages(plan: GuardrailPlan, state: RunState, kind: "chat" | "responses"): FrameStage[] {
  return plan.applied
    .filter(({ guardrail }) => guardrail.providerKind === "built_in" && guardrail.modes.includes("during_call") && guardrail.failurePolicy !== "dry_run")
    .map(({ config }) => {
      const vault = (state.vault ??= new PiiVault());
      const options = { restore: restoreOutput(config) };
      const channel = () => createStreamRedactor(vault, options);
      return kind === "chat"
        ? createDeltaTextStage(channel)
        : createResponsesTextStage(channel, (text) => restoreText(text, vault, options));
    });
}

export const needsPostCall = (plan: GuardrailPlan) => plan.applied.some(({ guardrail }) => guardrail.modes.includes("post_call"));
