/**
 * A fake Relayna Studio backend: `GET /studio/gateway/services` in each way the gateway must
 * cope with (contract 7, seed "Studio Import Connectivity"). Every field is mutable between
 * calls, so a test can change the catalog or the failure mode as it goes.
 */
import { CATALOG_PATH } from "../studio/catalog-client.ts";

export type FakeStudioMode =
  /** 200 with the rows (`{"services": [...]}`, or a bare array when `bareArray`). */
  | "healthy"
  /** Answers only after `delayMs` (default: never, until stopped). */
  | "slow"
  /** 200 headers at once, then the body never completes. */
  | "slow-body"
  | "server-error"
  | "html"
  | "not-a-list";

export interface FakeStudioOptions {
  mode?: FakeStudioMode;
  rows?: unknown[];
  /** When set, requests without `Authorization: Bearer <token>` get 401. */
  token?: string | null;
  bareArray?: boolean;
  delayMs?: number;
}

export interface FakeStudio extends Required<Omit<FakeStudioOptions, "delayMs">> {
  delayMs: number | null;
  /** The base URL to configure (the backend's). */
  url: string;
  /** Every request: path and the Authorization header as received. */
  requests: { path: string; authorization: string | null }[];
  stop(): Promise<void>;
}

/** A small healthy catalog in Studio's own field names. */
export function sampleStudioRows(): Record<string, unknown>[] {
  return [
    {
      studio_service_id: "svc_payments",
      gateway_service_name: "payments-api",
      display_name: "Payments API",
      base_url: "http://payments.internal:8080",
      environment: "production",
      status: "active",
      tags: ["billing", "core"],
      allowed_methods: ["post", "get"],
      default_route_pattern: "/services/payments-api/*",
      default_pricing: { cost_mode: "fixed", estimated_cost_usd: 0.002 },
    },
    { service_id: "svc_search", name: "Search Service", allowed_methods: ["GET"] },
  ];
}

export function startFakeStudio(options: FakeStudioOptions = {}): FakeStudio {
  const pending = new Set<() => void>();
  const wait = (ms: number | null) =>
    new Promise<void>((resolve) => {
      const done = () => {
        pending.delete(done);
        clearTimeout(timer);
        resolve();
      };
      const timer = ms === null ? undefined : setTimeout(done, ms);
      pending.add(done);
    });

  const studio: FakeStudio = {
    mode: options.mode ?? "healthy",
    rows: options.rows ?? sampleStudioRows(),
    token: options.token ?? null,
    bareArray: options.bareArray ?? false,
    delayMs: options.delayMs ?? null,
    url: "",
    requests: [],
    stop: async () => {},
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      const authorization = req.headers.get("authorization");
      studio.requests.push({ path, authorization });
      if (path !== CATALOG_PATH) return Response.json({ detail: "Not Found" }, { status: 404 });
      if (studio.token !== null && authorization !== `Bearer ${studio.token}`) {
        return Response.json({ detail: "invalid token" }, { status: 401 });
      }
      switch (studio.mode) {
        case "slow":
          await wait(studio.delayMs);
          break;
        case "slow-body":
          return new Response(
            new ReadableStream({
              async start(controller) {
                controller.enqueue(new TextEncoder().encode('{"services": ['));
                await wait(studio.delayMs);
                controller.close();
              },
            }),
            { headers: { "content-type": "application/json" } },
          );
        case "server-error":
          return Response.json({ detail: "Internal Server Error" }, { status: 500 });
        case "html":
          return new Response("<!doctype html><html><body>Relayna Studio</body></html>", {
            headers: { "content-type": "text/html" },
          });
        case "not-a-list":
          return Response.json({ services: { count: 2 } });
      }
      return Response.json(studio.bareArray ? studio.rows : { services: studio.rows });
    },
  });

  studio.url = `http://127.0.0.1:${server.port}`;
  studio.stop = async () => {
    for (const release of [...pending]) release();
    await server.stop(true);
  };
  return studio;
}
