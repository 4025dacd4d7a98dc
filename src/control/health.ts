import { Hono } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import type { HttpMetrics } from "../http/metrics.ts";

/** A named dependency probe; rejects (or times out) when the dependency is down. */
export type ReadinessCheck = () => Promise<void>;

export interface HealthDeps {
  readiness: Record<string, ReadinessCheck>;
  metrics: HttpMetrics;
}

/**
 * `/healthz` says the process serves; `/readyz` probes every dependency on each call (no cached
 * verdict), so it recovers by itself the moment a dependency comes back.
 */
export function createHealthRoutes({ readiness, metrics }: HealthDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const names = Object.keys(readiness);
    const results = await Promise.allSettled(names.map((name) => readiness[name]!()));
    const checks: Record<string, "ok" | "error"> = {};
    results.forEach((result, i) => {
      checks[names[i]!] = result.status === "fulfilled" ? "ok" : "error";
    });
    const ready = results.every((r) => r.status === "fulfilled");
    c.header("cache-control", "no-store");
    return c.json({ status: ready ? "ready" : "not_ready", checks }, ready ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    c.header("content-type", metrics.registry.contentType);
    return c.body(await metrics.render());
  });
  return app;
}
