import { applyHeaderOverrides, DEFAULT_BEHAVIOUR, mergeBehaviour, type StubBehaviour } from "./behaviour.ts";
import { replyChatCompletions } from "./chat-completions.ts";
import { isObject, type JsonObject } from "./content.ts";
import { replyBody } from "./delivery.ts";
import { replyEmbeddings } from "./embeddings.ts";
import { createExchange, type Exchange } from "./exchange.ts";
import { replyModels } from "./models.ts";
import { errorReply, jsonReply, type Reply } from "./reply.ts";
import { replyResponses } from "./responses.ts";

export interface StubUpstreamOptions {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  hostname?: string;
  defaults?: Partial<StubBehaviour>;
  /** Default true; the benchmark turns it off so recording costs nothing. */
  record?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path including the query string. */
  path: string;
  /** Lowercased names. */
  headers: Record<string, string>;
  bodyText: string;
  receivedAt: number;
}

export interface StubUpstream {
  /** e.g. http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  port: number;
  requests: RecordedRequest[];
  setDefaults(behaviour: Partial<StubBehaviour>): void;
  /** Clears `requests` and `aborted`, restores the start-up defaults. */
  reset(): void;
  /** Requests whose client disconnected before the stub finished answering. */
  readonly aborted: number;
  stop(): Promise<void>;
}

type Route = "chat" | "responses" | "embeddings" | "models" | "health" | "other";

/** Matched on the path suffix so any base-URL prefix (`/litellm/v1/...`) works. */
function routeOf(method: string, pathname: string): Route {
  if (method === "POST") {
    if (pathname.endsWith("/chat/completions")) return "chat";
    if (pathname.endsWith("/responses")) return "responses";
    if (pathname.endsWith("/embeddings")) return "embeddings";
  } else if (method === "GET" || method === "HEAD") {
    if (pathname.endsWith("/models")) return "models";
    if (pathname.endsWith("/health")) return "health";
  }
  return "other";
}

/** Cheaper than `new URL()` on every request of a benchmark. */
function splitUrl(url: string): { path: string; pathname: string } {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const path = start === -1 ? "/" : url.slice(start);
  const query = path.indexOf("?");
  const pathname = query === -1 ? path : path.slice(0, query);
  return { path, pathname: pathname.length > 1 && pathname.endsWith("/") ? pathname.slice(0, -1) : pathname };
}

function parseObject(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const JSON_TYPE = "application/json";
const SSE_TYPE = "text/event-stream; charset=utf-8";

export function startStubUpstream(options: StubUpstreamOptions = {}): StubUpstream {
  const initial = mergeBehaviour(DEFAULT_BEHAVIOUR, options.defaults ?? {});
  const record = options.record ?? true;
  const requests: RecordedRequest[] = [];
  const live = new Set<Exchange>();
  let defaults = initial;
  let aborted = 0;
  let sequence = 0;

  const hooks = {
    onClientAbort: () => void aborted++,
    onSettled: (exchange: Exchange) => void live.delete(exchange),
  };
  const openExchange = (req: Request): Exchange => {
    const exchange = createExchange(hooks);
    live.add(exchange);
    req.signal.addEventListener("abort", () => exchange.abort(true), { once: true });
    return exchange;
  };

  function answer(
    route: Exclude<Route, "health">,
    method: string,
    path: string,
    bodyText: string,
    behaviour: StubBehaviour,
  ): Reply {
    if (route === "models") return replyModels();
    if (route === "other") return jsonReply({ ok: true, method, path });
    const body = parseObject(bodyText);
    if (body === undefined) {
      return errorReply(400, "stub upstream: the request body must be a JSON object", "invalid_json");
    }
    const n = ++sequence;
    if (route === "chat") return replyChatCompletions(body, behaviour, `chatcmpl-stub-${n}`);
    if (route === "responses") return replyResponses(body, behaviour, `resp_stub_${n}`);
    return replyEmbeddings(body, behaviour);
  }

  function render(reply: Reply, behaviour: StubBehaviour, reportsCost: boolean, exchange: () => Exchange): Response {
    const status = reply.kind === "json" ? reply.status : 200;
    const headers: Record<string, string> =
      reply.kind === "json" ? { "content-type": JSON_TYPE } : { "content-type": SSE_TYPE, "cache-control": "no-cache" };
    if (reportsCost && status < 400 && behaviour.reportCost !== null) {
      headers["x-litellm-response-cost"] = String(behaviour.reportCost);
    }
    return new Response(replyBody(reply, behaviour, exchange), { status, headers });
  }

  async function handle(req: Request): Promise<Response> {
    const { path, pathname } = splitUrl(req.url);
    const route = routeOf(req.method, pathname);
    const ai = route === "chat" || route === "responses" || route === "embeddings";
    const bodyText = ai || record ? await req.text() : "";
    if (record) {
      const headers = Object.fromEntries(req.headers);
      requests.push({ method: req.method, path, headers, bodyText, receivedAt: Date.now() });
    }
    if (route === "health") return new Response("ok", { headers: { "content-type": "text/plain" } });

    let exchange: Exchange | undefined;
    let streamed = false;
    const useExchange = () => (exchange ??= openExchange(req));
    const streamExchange = () => {
      streamed = true;
      return useExchange();
    };

    const behaviour = applyHeaderOverrides(defaults, req.headers);
    if (typeof behaviour === "string") {
      return render(errorReply(400, behaviour, "stub_invalid_header"), DEFAULT_BEHAVIOUR, false, streamExchange);
    }
    if (behaviour.firstByteDelayMs > 0 && !(await useExchange().sleep(behaviour.firstByteDelayMs))) {
      return new Response(null, { status: 499 });
    }
    if (behaviour.stall === "before-headers") {
      await useExchange().hang();
      return new Response(null, { status: 499 });
    }
    const reply =
      behaviour.status >= 400
        ? errorReply(behaviour.status, "stub error", "stub_error")
        : answer(route, req.method, path, bodyText, behaviour);
    const response = render(reply, behaviour, ai, streamExchange);
    // A plain body is handed over whole: a later disconnect is not an abort.
    if (!streamed) exchange?.finish();
    return response;
  }

  const server = Bun.serve({
    port: options.port ?? 0,
    hostname: options.hostname ?? "127.0.0.1",
    development: false,
    // Stalls must last until the client gives up, not until Bun's idle timer fires.
    idleTimeout: 0,
    fetch: handle,
    error(error) {
      const reply = errorReply(500, `stub upstream failed: ${error.message}`, "stub_internal");
      return Response.json(reply.body, { status: 500 });
    },
  });

  const hostname = server.hostname ?? "127.0.0.1";
  const port = server.port ?? 0;
  return {
    url: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
    port,
    requests,
    get aborted() {
      return aborted;
    },
    setDefaults(behaviour) {
      defaults = mergeBehaviour(defaults, behaviour);
    },
    reset() {
      requests.length = 0;
      defaults = initial;
      aborted = 0;
    },
    async stop() {
      for (const exchange of live) exchange.abort(false);
      await server.stop(true);
    },
  };
}
