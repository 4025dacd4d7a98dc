import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { parseBindAddress, type BindAddress } from "./bind-address.ts";
import { parseLogLevels, type LogLevels } from "./log-level.ts";

export interface UpstreamConfig {
  baseUrl: string;
  serviceKey: string;
}

export interface GatewayConfig {
  proxyBind: BindAddress;
  controlBind: BindAddress;
  /** null ⇒ embedded PGlite under dataDir. */
  databaseUrl: string | null;
  /** null ⇒ in-memory counters. */
  redisUrl: string | null;
  /** Prefix of every Redis key, so several deployments can share one Redis. */
  redisKeyPrefix: string;
  dataDir: string;
  /** Where usage rows go when PostgreSQL cannot take them (replayed when it can). */
  usageSpillDir: string;
  /** Whole months of usage rows kept besides the current one (monthly partitions dropped after); 0 = forever. */
  usageRetentionMonths: number;
  litellm: UpstreamConfig | null;
  directOpenai: UpstreamConfig | null;
  studio: { baseUrl: string | null; token: string | null };
  workerToken: string | null;
  adminToken: string | null;
  logLevels: LogLevels;
  shutdownGraceMs: number;
  /** Overrides every AI route's upstream timeout (defaults: 120 s chat/responses, 60 s others). */
  upstreamTimeoutMs: number | null;
}

const OPERATOR_TOKEN = /^op_live_[0-9a-f]{64}$/;

const bindAddress = v.pipe(
  v.string(),
  v.check((s) => parseBindAddress(s) !== null, "must be host:port with a port from 0 to 65535 (e.g. 0.0.0.0:8080)"),
  v.transform((s) => parseBindAddress(s) as BindAddress),
);

function urlWithSchemes(schemes: string[], rule: string) {
  return v.pipe(
    v.string(),
    v.check((s) => {
      try {
        const url = new URL(s);
        return schemes.includes(url.protocol) && url.hostname !== "";
      } catch {
        return false;
      }
    }, rule),
  );
}

const httpUrl = urlWithSchemes(["http:", "https:"], "must be an http or https URL with a host");
const secret = v.pipe(v.string(), v.check((s) => !/\s/.test(s), "must not contain whitespace"));

const EnvSchema = v.object({
  GATEWAY_BIND_ADDR: v.optional(bindAddress, "0.0.0.0:8080"),
  GATEWAY_CONTROL_BIND_ADDR: v.optional(bindAddress, "0.0.0.0:8081"),
  DATABASE_URL: v.optional(
    urlWithSchemes(["postgres:", "postgresql:"], "must be a postgres:// or postgresql:// URL with a host"),
  ),
  REDIS_URL: v.optional(urlWithSchemes(["redis:", "rediss:"], "must be a redis:// or rediss:// URL with a host")),
  REDIS_KEY_PREFIX: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Za-z0-9:_.-]{1,64}$/, "must be 1-64 of A-Z a-z 0-9 : _ . -")),
    "relayna:",
  ),
  GATEWAY_DATA_DIR: v.optional(v.string(), "./.data"),
  USAGE_SPILL_DIR: v.optional(v.string()),
  USAGE_RETENTION_MONTHS: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, "must be a whole number of months (0 = keep forever)"),
      v.transform(Number),
      v.maxValue(1200, "must be at most 1200"),
    ),
    "13",
  ),
  LITELLM_BASE_URL: v.optional(httpUrl),
  LITELLM_SERVICE_KEY: v.optional(secret),
  DIRECT_OPENAI_BASE_URL: v.optional(httpUrl),
  DIRECT_OPENAI_SERVICE_KEY: v.optional(secret),
  RELAYNA_STUDIO_BASE_URL: v.optional(httpUrl),
  RELAYNA_STUDIO_TOKEN: v.optional(secret),
  RELAYNA_WORKER_TOKEN: v.optional(
    v.pipe(secret, v.minLength(16, "must be at least 16 characters")),
  ),
  GATEWAY_ADMIN_TOKEN: v.optional(
    v.pipe(v.string(), v.regex(OPERATOR_TOKEN, "must be op_live_ followed by 64 lowercase hex characters")),
  ),
  LOG_LEVEL: v.optional(
    v.pipe(
      v.string(),
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        const parsed = parseLogLevels(dataset.value);
        if (typeof parsed === "string") {
          addIssue({ message: parsed });
          return NEVER;
        }
        return parsed;
      }),
    ),
    "info",
  ),
  GATEWAY_UPSTREAM_TIMEOUT_SECONDS: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+(\.\d+)?$/, "must be a number of seconds"),
      v.transform(Number),
      v.minValue(0.1, "must be at least 0.1"),
      v.maxValue(3600, "must be at most 3600"),
    ),
  ),
  GATEWAY_SHUTDOWN_GRACE_SECONDS: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, "must be a whole number of seconds"),
      v.transform(Number),
      v.maxValue(3600, "must be at most 3600"),
    ),
    "30",
  ),
});

/** Pairs that only make sense together: [a, b, rule]. */
const PAIRS: [string, string, string][] = [
  ["LITELLM_BASE_URL", "LITELLM_SERVICE_KEY", "is required when LITELLM_BASE_URL is set"],
  ["LITELLM_SERVICE_KEY", "LITELLM_BASE_URL", "is required when LITELLM_SERVICE_KEY is set"],
  ["DIRECT_OPENAI_BASE_URL", "DIRECT_OPENAI_SERVICE_KEY", "is required when DIRECT_OPENAI_BASE_URL is set"],
  ["DIRECT_OPENAI_SERVICE_KEY", "DIRECT_OPENAI_BASE_URL", "is required when DIRECT_OPENAI_SERVICE_KEY is set"],
];

export type ConfigResult = { ok: true; config: GatewayConfig } | { ok: false; errors: string[] };

/** Values are trimmed and empty means unset (contract 1). Never echoes a value: it may be a secret. */
export function parseConfig(env: Record<string, string | undefined>): ConfigResult {
  const input: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.entries)) {
    const value = env[key]?.trim();
    if (value) input[key] = value;
  }
  const errors: string[] = [];
  for (const [present, required, rule] of PAIRS) {
    if (input[present] !== undefined && input[required] === undefined) errors.push(`${required} ${rule}`);
  }
  const result = v.safeParse(EnvSchema, input, { abortPipeEarly: true });
  if (!result.success) {
    for (const issue of result.issues) errors.push(`${v.getDotPath(issue) ?? "environment"} ${issue.message}`);
  }
  if (!result.success || errors.length > 0) return { ok: false, errors };
  const e = result.output;
  return {
    ok: true,
    config: {
      proxyBind: e.GATEWAY_BIND_ADDR,
      controlBind: e.GATEWAY_CONTROL_BIND_ADDR,
      databaseUrl: e.DATABASE_URL ?? null,
      redisUrl: e.REDIS_URL ?? null,
      redisKeyPrefix: e.REDIS_KEY_PREFIX,
      dataDir: e.GATEWAY_DATA_DIR,
      usageSpillDir: e.USAGE_SPILL_DIR ?? join(tmpdir(), "relayna-usage-spill"),
      usageRetentionMonths: e.USAGE_RETENTION_MONTHS,
      litellm: e.LITELLM_BASE_URL && e.LITELLM_SERVICE_KEY
        ? { baseUrl: e.LITELLM_BASE_URL, serviceKey: e.LITELLM_SERVICE_KEY }
        : null,
      directOpenai: e.DIRECT_OPENAI_BASE_URL && e.DIRECT_OPENAI_SERVICE_KEY
        ? { baseUrl: e.DIRECT_OPENAI_BASE_URL, serviceKey: e.DIRECT_OPENAI_SERVICE_KEY }
        : null,
      studio: { baseUrl: e.RELAYNA_STUDIO_BASE_URL ?? null, token: e.RELAYNA_STUDIO_TOKEN ?? null },
      workerToken: e.RELAYNA_WORKER_TOKEN ?? null,
      adminToken: e.GATEWAY_ADMIN_TOKEN ?? null,
      logLevels: e.LOG_LEVEL,
      shutdownGraceMs: e.GATEWAY_SHUTDOWN_GRACE_SECONDS * 1000,
      upstreamTimeoutMs: e.GATEWAY_UPSTREAM_TIMEOUT_SECONDS === undefined ? null : e.GATEWAY_UPSTREAM_TIMEOUT_SECONDS * 1000,
    },
  };
}

/** The only reader of process.env in the gateway. */
export function loadConfig(): ConfigResult {
  return parseConfig(process.env);
}
