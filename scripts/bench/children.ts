/** Child processes of the benchmark: started with a clean environment, stopped for sure. */
import { spawnGateway, type GatewayProcess } from "../../src/testing/process.ts";
import type { Cleanup } from "./cleanup.ts";

export interface Child {
  name: string;
  pid: number;
  process: GatewayProcess;
  /** SIGTERM, then SIGKILL if it is still alive after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

export const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** Spawns `cmd` in the repository root and registers its stop with `cleanup`. */
export function startChild(name: string, cmd: string[], env: Record<string, string>, cleanup: Cleanup): Child {
  const spawned = spawnGateway(cmd, env, REPO_ROOT);
  let stopping: Promise<void> | null = null;
  const stop = (graceMs = 8_000) =>
    (stopping ??= (async () => {
      if (spawned.proc.exitCode !== null || spawned.proc.signalCode !== null) return;
      spawned.proc.kill("SIGTERM");
      const timer = setTimeout(() => spawned.proc.kill("SIGKILL"), graceMs);
      await spawned.proc.exited;
      clearTimeout(timer);
    })());
  cleanup.add(`stop ${name}`, () => stop());
  return { name, pid: spawned.proc.pid, process: spawned, stop };
}

/** The URL from a `… listening on http://host:port` line, or a clear error with the output. */
export async function listeningUrl(child: Child, timeoutMs = 15_000): Promise<string> {
  const line = await child.process.waitForLine((l) => / listening on http:\/\//.test(l), timeoutMs);
  return line.slice(line.indexOf("http://")).trim();
}
