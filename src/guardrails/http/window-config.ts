import * as v from "valibot";

/** Text window sizes of HTTP during-call guardrails (`window_chars` in the effective config). */
export const MIN_WINDOW_CHARS = 32;
export const MAX_WINDOW_CHARS = 8192;
export const DEFAULT_WINDOW_CHARS = 256;
export const WINDOW_CHARS_RULE = `must be an integer from ${MIN_WINDOW_CHARS} to ${MAX_WINDOW_CHARS}`;

// Other config keys belong to the guardrail and pass through untouched.
const windowConfig = v.object({
  window_chars: v.optional(v.pipe(v.number(), v.integer(), v.minValue(MIN_WINDOW_CHARS), v.maxValue(MAX_WINDOW_CHARS)), DEFAULT_WINDOW_CHARS),
});

/** The window size a config asks for (the default when it names none), or null when `window_chars` is invalid. */
export function windowCharsOf(config: Record<string, unknown>): number | null {
  const parsed = v.safeParse(windowConfig, config);
  return parsed.success ? parsed.output.window_chars : null;
}
