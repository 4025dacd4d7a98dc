export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Per-component levels: `api` is the control listener, `proxy` the data plane, `gateway` the rest. */
export interface LogLevels {
  gateway: LogLevel;
  api: LogLevel;
  proxy: LogLevel;
}

const ALIASES: Record<string, LogLevel> = { off: "silent", warning: "warn" };
const COMPONENTS: Record<string, keyof LogLevels> = {
  gateway: "gateway",
  gateway_core: "gateway",
  gateway_api: "api",
  gateway_control: "api",
  gateway_proxy: "proxy",
};
const TARGET = /^[a-z][a-z0-9_:]*$/;

function toLevel(raw: string): LogLevel | null {
  const value = raw.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  return ALIASES[value] ?? null;
}

/**
 * Accepts a plain level (`debug`) or the tracing-style directive list of the deployment seed
 * (`gateway_api=info,gateway_proxy=info`, optionally with a bare default level). Targets we do
 * not own (e.g. `hyper=warn`) are accepted and ignored, as an env-filter would.
 * Returns an error message naming the offending directive, or the levels.
 */
export function parseLogLevels(input: string): LogLevels | string {
  const directives = input.split(",").map((part) => part.trim()).filter((part) => part !== "");
  if (directives.length === 0) return "must name a level (trace, debug, info, warn, error, fatal, off)";
  let fallback: LogLevel | null = null;
  const explicit: Partial<LogLevels> = {};
  for (const directive of directives) {
    const eq = directive.indexOf("=");
    if (eq === -1) {
      const level = toLevel(directive);
      if (!level) return `"${directive}" is not a level (trace, debug, info, warn, error, fatal, off)`;
      fallback = level;
      continue;
    }
    const target = directive.slice(0, eq).trim().toLowerCase();
    const level = toLevel(directive.slice(eq + 1));
    if (!TARGET.test(target)) return `"${directive}" must be target=level with a target like gateway_api`;
    if (!level) return `"${directive}" has no valid level (trace, debug, info, warn, error, fatal, off)`;
    const component = COMPONENTS[target];
    if (component) explicit[component] = level;
  }
  const base = fallback ?? explicit.gateway ?? "info";
  return {
    gateway: explicit.gateway ?? base,
    api: explicit.api ?? base,
    proxy: explicit.proxy ?? base,
  };
}
