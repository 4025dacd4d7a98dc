import type { Server } from "bun";
import type { BindAddress } from "../config/bind-address.ts";
import { errorResponse } from "./errors.ts";

export interface ListenOptions {
  /** Seconds a connection may stay silent; streams need long gaps (Bun's maximum is 255). */
  idleTimeoutSeconds: number;
}

/** Binds one listener; throws (fatal at startup) when the address cannot be bound. */
export function listen(
  fetch: (request: Request, server: Server<undefined>) => Response | Promise<Response>,
  bind: BindAddress,
  options: ListenOptions,
): Server<undefined> {
  return Bun.serve({
    hostname: bind.hostname,
    port: bind.port,
    idleTimeout: options.idleTimeoutSeconds,
    // Bun defaults to development mode unless NODE_ENV=production; the gateway never wants it.
    development: false,
    fetch,
    // Only reached if something fails outside Hono's own error handling.
    error: () => errorResponse("internal_error", crypto.randomUUID()),
  });
}

/**
 * Stops accepting at once, lets in-flight requests and streams finish for up to graceMs, then
 * closes what is left. Resolves true when everything finished within the grace period.
 */
export async function drain(servers: Server<undefined>[], graceMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const graceful = Promise.all(servers.map((server) => server.stop(false))).then(() => true);
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
  });
  const finished = await Promise.race([graceful, deadline]);
  clearTimeout(timer);
  if (!finished) await Promise.all(servers.map((server) => server.stop(true)));
  return finished;
}
