import { usageFromJsonBody } from "../core/response-usage.ts";
import { GatewayError } from "../http/errors.ts";
import { createSsePipeline } from "../streams/pipeline.ts";
import type { FrameStage } from "../streams/frame-stage.ts";
import type { Exchange } from "./exchange.ts";
import type { ProxyMetrics } from "./metrics.ts";
import { clientResponse } from "./upstream-request.ts";

const decoder = new TextDecoder();

/** Bodies larger than this are relayed but not inspected for usage. */
const MAX_INSPECTED_BYTES = 16 * 1024 * 1024;
/**
 * A non-streamed answer up to this size (declared by Content-Length) is read whole and answered
 * from memory: it arrives as one unit once the model is done, so this costs at most its
 * transfer time on the upstream link, while relaying it through a JavaScript stream cost about
 * a third of the proxy's CPU per request (Bun's native body path is lost).
 */
const WHOLE_BODY_BYTES = 1024 * 1024;

/** LiteLLM's cost header; internal services may report theirs as `x-relayna-cost-usd`. */
function costHeader(headers: Headers): number | null {
  const value = Number(headers.get("x-litellm-response-cost") ?? headers.get("x-relayna-cost-usd") ?? "NaN");
  return Number.isFinite(value) && value >= 0 ? value : null;
}

/**
 * A non-streamed answer: bytes go to the client as they arrive (unchanged), a copy is kept to
 * read the usage at the end, and the exchange is finished when the body ends or the client
 * leaves.
 */
export function relayJson(upstream: Response, exchange: Exchange, clientSignal: AbortSignal): Response | Promise<Response> {
  const reportedCost = costHeader(upstream.headers);
  const declared = Number(upstream.headers.get("content-length") ?? "NaN");
  if (declared <= WHOLE_BODY_BYTES) return relayWhole(upstream, exchange, reportedCost, clientSignal);
  if (!upstream.body) {
    exchange.finish({ statusCode: upstream.status, errorCode: null, reportedCostUsd: reportedCost });
    return clientResponse(null, upstream.status, upstream.headers, false);
  }
  const reader = upstream.body.getReader();
  const chunks: Uint8Array[] = [];
  let kept = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          const usage = kept <= MAX_INSPECTED_BYTES ? usageFromJsonBody(Buffer.concat(chunks).toString("utf8")) : null;
          exchange.finish({ statusCode: upstream.status, errorCode: null, usage, reportedCostUsd: reportedCost });
          return;
        }
        kept += value.length;
        if (kept <= MAX_INSPECTED_BYTES) chunks.push(value);
        controller.enqueue(value);
      } catch (err) {
        const code = clientSignal.aborted ? "client_aborted" : "upstream_stream_error";
        exchange.finish({ statusCode: upstream.status, errorCode: code });
        controller.error(err);
      }
    },
    cancel(reason) {
      exchange.finish({ statusCode: upstream.status, errorCode: "client_aborted" });
      return reader.cancel(reason);
    },
  });
  return clientResponse(body, upstream.status, upstream.headers, false);
}

async function relayWhole(
  upstream: Response,
  exchange: Exchange,
  reportedCost: number | null,
  clientSignal: AbortSignal,
): Promise<Response> {
  let bytes: Uint8Array;
  try {
    bytes = await upstream.bytes();
  } catch (err) {
    exchange.finish({ statusCode: upstream.status, errorCode: clientSignal.aborted ? "client_aborted" : "upstream_stream_error" });
    throw new GatewayError("upstream_connection", { cause: err });
  }
  const usage = upstream.ok ? usageFromJsonBody(decoder.decode(bytes)) : null;
  exchange.finish({ statusCode: upstream.status, errorCode: null, usage, reportedCostUsd: reportedCost });
  // An empty body (204, 304, an answer to HEAD) goes out as no body, as it came.
  return clientResponse(bytes.length > 0 ? bytes : null, upstream.status, upstream.headers, false);
}

/**
 * A non-streamed answer that post-call guardrails must see whole: read, parsed, guarded, then
 * sent. Usage is read from the upstream's own bytes. A body that is not JSON is refused
 * (guardrail_unavailable): a guardrail that cannot read it cannot vouch for it.
 */
export async function relayGuardedJson(
  upstream: Response,
  exchange: Exchange,
  guard: (value: unknown) => Promise<unknown>,
): Promise<Response> {
  const reportedCost = costHeader(upstream.headers);
  const text = decoder.decode(await upstream.bytes());
  const usage = usageFromJsonBody(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    exchange.finish({ statusCode: 502, errorCode: "guardrail_unavailable", usage, reportedCostUsd: reportedCost });
    throw new GatewayError("guardrail_unavailable");
  }
  try {
    value = await guard(value);
  } catch (err) {
    const code = err instanceof GatewayError ? err.code : "guardrail_unavailable";
    exchange.finish({ statusCode: err instanceof GatewayError ? err.status : 502, errorCode: code, usage, reportedCostUsd: reportedCost });
    throw err;
  }
  exchange.finish({ statusCode: upstream.status, errorCode: null, usage, reportedCostUsd: reportedCost });
  return clientResponse(JSON.stringify(value), upstream.status, upstream.headers, true);
}

/**
 * A streamed answer through the SSE pipeline (decode ⇒ usage tap ⇒ encode): frames reach the
 * client as they complete; the gateway learns the usage even when the client did not ask for it.
 * The response is returned once the upstream's first read settled, so its head leaves with the
 * first frames in one write.
 */
export async function relaySse(
  upstream: Response,
  exchange: Exchange,
  options: {
    kind: "chat" | "responses";
    hideUsageChunk: boolean;
    startedAt: number;
    clientSignal: AbortSignal;
    /** During-call guardrail stages (between decoding and the usage tap). */
    stages?: FrameStage[];
    /** Their execution events are in once this settles: the exchange finishes after it. */
    recorded?: Promise<unknown> | null;
  },
  metrics: ProxyMetrics,
): Promise<Response> {
  const reportedCost = costHeader(upstream.headers);
  const { body, outcome, halted, firstRead } = createSsePipeline(upstream.body ?? new ReadableStream(), {
    kind: options.kind,
    hideUsageChunk: options.hideUsageChunk,
    now: () => performance.now(),
    startedAt: options.startedAt,
    stages: options.stages,
  });
  const route = exchange.route;
  metrics.streamStarted(route);
  const settled = options.recorded ? Promise.all([outcome, options.recorded]).then(([result]) => result) : outcome;
  settled.then((result) => {
    // A during-call guardrail that ended the stream (blocked, or unavailable) names the outcome.
    const status = halted() ?? (options.clientSignal.aborted && result.status !== "completed" ? "client_aborted" : result.status);
    metrics.streamEnded(route, status === "completed" ? null : status);
    if (result.firstTokenMs !== null) metrics.timeToFirstToken(route, exchange.provider, result.firstTokenMs / 1000);
    exchange.finish({
      statusCode: upstream.status,
      errorCode: status === "completed" ? null : status === "upstream_error" ? "upstream_stream_error" : status,
      usage: result.usage,
      firstTokenMs: result.firstTokenMs,
      reportedCostUsd: reportedCost,
    });
  });
  // A client gone meanwhile needs nothing more: Bun cancels the body of its response, which ends
  // the stream as client_aborted, as for a client leaving mid-stream (streaming.int.test.ts).
  await firstRead;
  return clientResponse(body, upstream.status, upstream.headers, true);
}
