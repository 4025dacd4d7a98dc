/** A private redis-server for tests that stop, restart or flush Redis without disturbing others. */
import type { Subprocess } from "bun";

export function startRedisServer(port: number): Subprocess {
  return Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdout: "ignore",
    stderr: "ignore",
  });
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = server.port!;
  await server.stop(true);
  return port;
}
