import { usageFromJsonBody } from "../core/response-usage.ts";
import { createSsePipeline } from "../streams/pipeline.ts";
import type { Exchange } from "./exchange.ts";
import type { ProxyMetrics } from "./metrics.ts";
import { clientHeaders } from "./upstream-request.ts";

/** Bodies larger than this are relayed but not inspected for usage. */
const MAX_INSPECTED_BYTES = 16 * 1024 * 1024;

function costHeader(headers: Headers): number | null {
  const value = Number(headers.get("x-litellm-response-cost") ?? "NaN");
  return Number.isFinite(value) && value >= 0 ? value : null;
}

/**
 * A non-streamed answer: bytes go to the client as they arrive (unchanged), a copy is kept to
 * read the usage at the end, and the exchange is finished when the body ends or the client
 * leaves.
 */
export function relayJson(upstream: Response, exchange: Exchange, clientSignal: AbortSignal): Response {
  const reportedCost = costHeader(upstream.headers);
  const headers = clientHeaders(upstream.headers, false);
  if (!upstream.body) {
    exchange.finish({ statusCode: upstream.status, errorCode: null, costUsd: reportedCost ?? undefined });
    return new Response(null, { status: upstream.status, headers });
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
          const cost = reportedCost ?? usage?.costUsd ?? undefined;
          exchange.finish({ statusCode: upstream.status, errorCode: null, usage, costUsd: cost });
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
  return new Response(body, { status: upstream.status, headers });
}

/**
 * A streamed answer through the SSE pipeline (decode ⇒ usage tap ⇒ encode): frames reach the
 * client as they complete; the gateway learns the usage even when the client did not ask for it.
 */
export function relaySse(
  upstream: Response,
  exchange: Exchange,
  options: { kind: "chat" | "responses"; hideUsageChunk: boolean; startedAt: number; clientSignal: AbortSignal },
  metrics: ProxyMetrics,
): Response {
  const reportedCost = costHeader(upstream.headers);
  const { body, outcome } = createSsePipeline(upstream.body ?? new ReadableStream(), {
    kind: options.kind,
    hideUsageChunk: options.hideUsageChunk,
    now: () => performance.now(),
    startedAt: options.startedAt,
  });
  const route = exchange.route;
  metrics.activeStreams.inc({ route });
  outcome.then((result) => {
    metrics.activeStreams.dec({ route });
    const status = options.clientSignal.aborted && result.status !== "completed" ? "client_aborted" : result.status;
    if (status !== "completed") metrics.streamAborts.inc({ route, reason: status });
    if (result.firstTokenMs !== null) {
      metrics.timeToFirstToken.observe({ route, provider: exchange.provider }, result.firstTokenMs / 1000);
    }
    exchange.finish({
      statusCode: upstream.status,
      errorCode: status === "completed" ? null : status === "client_aborted" ? "client_aborted" : "upstream_stream_error",
      usage: result.usage,
      firstTokenMs: result.firstTokenMs,
      costUsd: reportedCost ?? result.usage?.costUsd ?? undefined,
    });
  });
  return new Response(body, { status: upstream.status, headers: clientHeaders(upstream.headers, true) });
}
