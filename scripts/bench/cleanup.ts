/**
 * Everything the benchmark starts registers how to undo it here. The steps run once, newest
 * first, each bounded in time, whether the run ends normally, throws, or is interrupted.
 */
export interface Cleanup {
  add(name: string, step: () => Promise<unknown>): void;
  run(): Promise<void>;
  /** True once run() has begun: failures after that are the teardown's, not findings. */
  readonly started: boolean;
}

const STEP_TIMEOUT_MS = 15_000;

export function createCleanup(log: (line: string) => void = (line) => console.error(line)): Cleanup {
  const steps: { name: string; step: () => Promise<unknown> }[] = [];
  let running: Promise<void> | null = null;

  async function runStep(name: string, step: () => Promise<unknown>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
    });
    try {
      await Promise.race([step(), timeout]);
    } catch (err) {
      log(`cleanup: ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    get started() {
      return running !== null;
    },
    add: (name, step) => void steps.push({ name, step }),
    run: () =>
      (running ??= (async () => {
        while (steps.length > 0) {
          const { name, step } = steps.pop()!;
          await runStep(name, step);
        }
      })()),
  };
}

/** Ctrl-C / SIGTERM: undo everything, then exit with the conventional 128 + signal code. */
export function cleanUpOnSignals(cleanup: Cleanup): void {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.on(signal, () => {
      console.error(`\n${signal}: cleaning up…`);
      process.exitCode = code;
      void cleanup.run().finally(() => process.exit(code));
    });
  }
}
