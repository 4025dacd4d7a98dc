/** How the stub answers; set per server (defaults) and per request (`x-stub-*` headers). */
export interface StubBehaviour {
  /** Content chunks in a stream; the non-stream body carries the same text. */
  chunkCount: number;
  /** Characters per content chunk. */
  chunkSize: number;
  /** Delay before the response headers. */
  firstByteDelayMs: number;
  /** Delay before each content chunk of a stream. */
  chunkDelayMs: number;
  /** 200, or 400–599 to answer with an OpenAI-style error body. */
  status: number;
  /** before-headers: never answer; mid-stream: send half the content, then hang. */
  stall: StubStall;
  /** Send half the content, then break the connection (no [DONE]). */
  dropMidStream: boolean;
  /** Content = last user message (chat) / input (responses) instead of lorem text. */
  echo: boolean;
  /** Adds `x-litellm-response-cost` and `usage.cost`. */
  reportCost: number | null;
  /** Chat: answer with one `echo` tool call whose arguments, `{"text": …}`, carry the content instead. */
  toolCall: boolean;
}

export type StubStall = "none" | "before-headers" | "mid-stream";

export const DEFAULT_BEHAVIOUR: Readonly<StubBehaviour> = Object.freeze({
  chunkCount: 5,
  chunkSize: 8,
  firstByteDelayMs: 0,
  chunkDelayMs: 0,
  status: 200,
  stall: "none",
  dropMidStream: false,
  echo: false,
  reportCost: null,
  toolCall: false,
});

interface Field {
  key: keyof StubBehaviour;
  header: string;
  expected: string;
  /** Parses `raw` into `target`; false when the value is invalid. */
  apply(target: StubBehaviour, raw: string): boolean;
}

function field<K extends keyof StubBehaviour>(
  key: K,
  header: string,
  expected: string,
  parse: (raw: string) => StubBehaviour[K] | undefined,
): Field {
  return {
    key,
    header,
    expected,
    apply(target, raw) {
      const value = parse(raw);
      if (value === undefined) return false;
      target[key] = value;
      return true;
    },
  };
}

const INTEGER = /^\d{1,9}$/;
const DECIMAL = /^\d{1,15}(?:\.\d{1,15})?$/;
const MAX_DELAY_MS = 3_600_000;

function integerIn(min: number, max: number) {
  return (raw: string): number | undefined => {
    if (!INTEGER.test(raw)) return undefined;
    const value = Number(raw);
    return value >= min && value <= max ? value : undefined;
  };
}

function delay(raw: string): number | undefined {
  if (!DECIMAL.test(raw)) return undefined;
  const value = Number(raw);
  return value <= MAX_DELAY_MS ? value : undefined;
}

function status(raw: string): number | undefined {
  const value = integerIn(200, 599)(raw);
  return value === 200 || (value !== undefined && value >= 400) ? value : undefined;
}

function stall(raw: string): StubStall | undefined {
  return raw === "none" || raw === "before-headers" || raw === "mid-stream" ? raw : undefined;
}

function flag(raw: string): boolean | undefined {
  if (raw === "1" || raw === "true") return true;
  if (raw === "0" || raw === "false") return false;
  return undefined;
}

function cost(raw: string): number | null | undefined {
  if (raw === "null" || raw === "none") return null;
  const value = Number(raw);
  return raw !== "" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

const FIELDS: readonly Field[] = [
  field("status", "x-stub-status", "200 or 400-599", status),
  field("chunkCount", "x-stub-chunk-count", "integer 0-100000", integerIn(0, 100_000)),
  field("chunkSize", "x-stub-chunk-size", "integer 1-1000000", integerIn(1, 1_000_000)),
  field("firstByteDelayMs", "x-stub-first-byte-delay-ms", "milliseconds 0-3600000", delay),
  field("chunkDelayMs", "x-stub-chunk-delay-ms", "milliseconds 0-3600000", delay),
  field("stall", "x-stub-stall", "none, before-headers or mid-stream", stall),
  field("dropMidStream", "x-stub-drop-mid-stream", "1, 0, true or false", flag),
  field("echo", "x-stub-echo", "1, 0, true or false", flag),
  field("reportCost", "x-stub-cost", "a non-negative number or null", cost),
  field("toolCall", "x-stub-tool-call", "1, 0, true or false", flag),
];

/** The header names a caller (or a gateway in front of the stub) can use to steer one request. */
export const STUB_HEADERS: readonly string[] = FIELDS.map((f) => f.header);

/** Applies `x-stub-*` headers over `base`; returns an error message for an invalid value. */
export function applyHeaderOverrides(base: StubBehaviour, headers: Headers): StubBehaviour | string {
  let result: StubBehaviour | undefined;
  for (const f of FIELDS) {
    const raw = headers.get(f.header);
    if (raw === null) continue;
    result ??= { ...base };
    if (!f.apply(result, raw.trim())) {
      return `invalid ${f.header} header ${JSON.stringify(raw)}: expected ${f.expected}`;
    }
  }
  return result ?? base;
}

/** Merges programmatic defaults, held to the same ranges as the headers; throws on a bad value. */
export function mergeBehaviour(base: StubBehaviour, patch: Partial<StubBehaviour>): StubBehaviour {
  const result = { ...base };
  for (const f of FIELDS) {
    if (!(f.key in patch)) continue;
    const value = String(patch[f.key]);
    if (!f.apply(result, value)) {
      throw new TypeError(`invalid stub behaviour ${f.key}=${value}: expected ${f.expected}`);
    }
  }
  return result;
}
