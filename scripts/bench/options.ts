/** Command-line flags of `bun run bench`; the defaults keep a whole run under three minutes. */
import { parseArgs } from "node:util";

export interface BenchOptions {
  concurrency: number;
  /** Measured seconds per run. */
  durationS: number;
  /** Unmeasured seconds at the start of each run (connections, JIT). */
  warmupS: number;
  /**
   * Measured seconds of each unloaded run (one request at a time, after a scenario's loaded
   * rounds): the latency one request pays, which the latency goals are judged on. 0 skips them.
   */
  latencyS: number;
  rounds: number;
  /** Content chunks per streamed answer. */
  chunks: number;
  /** Stub delay before each streamed content chunk (0: the whole stream is written at once). */
  chunkDelayMs: number;
  /** Directory of the JSON summaries. */
  outDir: string;
  /** Give the gateway's key RPM, TPM and budgets that never deny, so every request is metered. */
  limits: boolean;
  /** Make pii-redact mandatory for the gateway's key (pre-call on requests, during-call on streams). */
  guardrails: boolean;
}

export const USAGE = `bun run bench [-- flags]
  --concurrency N   concurrent keep-alive connections per run (default 32)
  --duration S      measured seconds per run (default 4)
  --warmup S        unmeasured seconds before each run's window (default 1)
  --latency-duration S
                    measured seconds of each unloaded run (concurrency 1, after each scenario's
                    rounds, one per target and round), which the latency goals are judged on
                    (default 2; 0 skips them)
  --rounds R        rounds per scenario; each round runs direct, bare and gateway once (default 3)
  --chunks N        content chunks per streamed answer (default 5)
  --chunk-delay MS  stub delay before each streamed chunk (default 0; >0 separates TTFB from the total)
  --out DIR         where the JSON summary goes (default bench-results)
  --limits          the gateway's key has RPM, TPM and daily/monthly budgets (never reached): one
                    Redis round trip per request, as a metered key pays
  --guardrails      the gateway's key has pii-redact mandatory (requests redacted, streams guarded)`;

function positive(name: string, raw: string, integer: boolean): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The options, or null when --help was asked for. Throws with a message on a bad value. */
export function parseBenchOptions(argv: string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      concurrency: { type: "string", default: "32" },
      duration: { type: "string", default: "4" },
      warmup: { type: "string", default: "1" },
      "latency-duration": { type: "string", default: "2" },
      rounds: { type: "string", default: "3" },
      chunks: { type: "string", default: "5" },
      "chunk-delay": { type: "string", default: "0" },
      out: { type: "string", default: "bench-results" },
      limits: { type: "boolean", default: false },
      guardrails: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return null;
  return {
    concurrency: positive("concurrency", values.concurrency, true),
    durationS: positive("duration", values.duration, false),
    warmupS: values.warmup === "0" ? 0 : positive("warmup", values.warmup, false),
    latencyS: values["latency-duration"] === "0" ? 0 : positive("latency-duration", values["latency-duration"], false),
    rounds: positive("rounds", values.rounds, true),
    chunks: positive("chunks", values.chunks, true),
    chunkDelayMs: values["chunk-delay"] === "0" ? 0 : positive("chunk-delay", values["chunk-delay"], false),
    outDir: values.out,
    limits: values.limits,
    guardrails: values.guardrails,
  };
}
