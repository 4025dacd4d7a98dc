import pino, { type DestinationStream, type Logger } from "pino";
import type { LogLevels } from "../config/log-level.ts";

export interface GatewayLoggers {
  /** Process-level events: startup, shutdown, background work. */
  gateway: Logger;
  /** Control listener (`gateway_api`). */
  api: Logger;
  /** Proxy listener (`gateway_proxy`). */
  proxy: Logger;
}

export const REDACTED = "[REDACTED]";

// Credential-like headers and fields, wherever a handler might log them.
const SENSITIVE_FIELDS = [
  "authorization",
  "proxy-authorization",
  "x-api-key",
  "x-relayna-worker-token",
  "cookie",
  "set-cookie",
  "token",
  "raw_key",
  "raw_token",
  "credential",
  "bearer_token",
  "password",
  "secret",
];
// Fixed paths only: pino's wildcard paths (`*.x`, `*.*.x`) cost ~50 us per log line, more than
// a whole proxied request. Deeper fields are covered by the scrubber below.
const REDACT_PATHS = SENSITIVE_FIELDS.flatMap((field) => {
  const key = `["${field}"]`;
  return [key, `headers${key}`, `req.headers${key}`, `res.headers${key}`];
});

// Last line of defence: anything shaped like one of our credentials, a bearer value or a URL
// password is masked in the serialized line, whatever field it hid in.
const SECRET_SHAPES = [
  /\b(?:rk|op)_live_[0-9A-Za-z]+/g,
  /\b(Bearer\s+)[^\s",]+/gi,
  /(\w+:\/\/[^:/?#\s"]+:)[^@/\s"]+@/g,
];

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Returns a function masking known secret values (config secrets) and secret-shaped strings. */
export function createScrubber(knownSecrets: (string | null | undefined)[]): (line: string) => string {
  const known = knownSecrets.filter((s): s is string => typeof s === "string" && s.length >= 6);
  const knownPattern = known.length > 0 ? new RegExp(known.map(escapeRegExp).join("|"), "g") : null;
  return (line) => {
    let out = knownPattern ? line.replace(knownPattern, REDACTED) : line;
    out = out.replace(SECRET_SHAPES[0]!, REDACTED);
    out = out.replace(SECRET_SHAPES[1]!, `$1${REDACTED}`);
    out = out.replace(SECRET_SHAPES[2]!, `$1${REDACTED}@`);
    return out;
  };
}

export interface LoggerOptions {
  levels: LogLevels;
  /** Defaults to stdout. Tests pass a collecting stream. */
  destination?: DestinationStream;
  knownSecrets?: (string | null | undefined)[];
}

export function createLoggers({ levels, destination, knownSecrets = [] }: LoggerOptions): GatewayLoggers {
  const scrub = createScrubber(knownSecrets);
  const root = pino(
    {
      level: "trace",
      base: { service: "relayna-gateway" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      hooks: { streamWrite: scrub },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
  return {
    gateway: root.child({ component: "gateway" }, { level: levels.gateway }),
    api: root.child({ component: "gateway_api" }, { level: levels.api }),
    proxy: root.child({ component: "gateway_proxy" }, { level: levels.proxy }),
  };
}
