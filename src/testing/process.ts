/** Runs the gateway as a real process, the way an operator does, and reads what it prints. */
import type { Subprocess } from "bun";

export interface GatewayProcess {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  stdout: string[];
  stderr: string[];
  /** Resolves with the first stdout line matching, or rejects after timeoutMs. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Ports from the "… listening" log lines. */
  ports(): Promise<{ proxy: number; control: number }>;
  exited: Promise<number>;
}

/** Environment for a child: PATH and HOME only, so the parent's variables cannot leak in. */
export function cleanEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...env };
}

async function collect(stream: ReadableStream<Uint8Array>, into: string[], notify: () => void) {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    into.push(...lines.filter((l) => l !== ""));
    notify();
  }
  if (pending) into.push(pending);
  notify();
}

export function spawnGateway(cmd: string[], env: Record<string, string>, cwd?: string): GatewayProcess {
  const proc = Bun.spawn(cmd, { env: cleanEnv(env), cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  const done = Promise.all([collect(proc.stdout, stdout, notify), collect(proc.stderr, stderr, notify)]);

  const waitForLine = (match: (line: string) => boolean, timeoutMs = 15_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = stdout.find(match);
        if (line !== undefined) {
          cleanup();
          resolve(line);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching line within ${timeoutMs} ms; stdout:\n${stdout.join("\n")}\nstderr:\n${stderr.join("\n")}`));
      }, timeoutMs);
      const onExit = () => {
        check();
        cleanup();
        reject(new Error(`process exited; stdout:\n${stdout.join("\n")}\nstderr:\n${stderr.join("\n")}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
      done.then(onExit);
    });

  const portOf = async (listener: string) => {
    const line = await waitForLine((l) => l.includes(`"${listener} listening"`));
    return (JSON.parse(line) as { port: number }).port;
  };

  return {
    proc,
    stdout,
    stderr,
    waitForLine,
    ports: async () => ({ proxy: await portOf("proxy"), control: await portOf("control") }),
    exited: done.then(() => proc.exited),
  };
}
