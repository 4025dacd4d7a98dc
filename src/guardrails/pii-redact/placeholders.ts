import { MAX_PLACEHOLDER_DIGITS, PII_CATEGORIES, PLACEHOLDER_LABELS, type PiiCategory } from "./detect.ts";

/** Where a value was first seen: only values of the client's own request are ever restored. */
export type PiiSource = "request" | "response";

/** Occurrences replaced by a placeholder, per category, and placeholders put back: for execution events. */
export type PiiCounts = Record<PiiCategory, number> & { restored: number };

interface Entry {
  value: string;
  restorable: boolean;
}

/** Placeholder-shaped tokens, as scanText finds them. */
const PLACEHOLDER_TOKEN = new RegExp(
  `\\[(?:${Object.values(PLACEHOLDER_LABELS).join("|")})_[1-9]\\d{0,${MAX_PLACEHOLDER_DIGITS - 1}}\\]`,
  "g",
);

const zeroCounts = (): PiiCounts => ({ email: 0, phone: 0, ssn: 0, restored: 0 });

/**
 * The request-local mapping between PII values and placeholders. Each distinct value (exact
 * string: `415-555-0100` and `(415) 555-0100` are two values) gets `[EMAIL_n]`, `[PHONE_n]` or
 * `[SSN_n]`, numbered per category in order of first appearance, and keeps it. It lives in
 * memory for one request and is never serialised; only `counts()` may leave it.
 */
export class PiiVault {
  readonly #byValue = new Map<string, string>();
  readonly #byPlaceholder = new Map<string, Entry>();
  readonly #reserved = new Set<string>();
  readonly #next: Record<PiiCategory, number> = { email: 1, phone: 1, ssn: 1 };
  readonly #counts = zeroCounts();

  /**
   * Marks placeholder-shaped text the client wrote itself (say, `[EMAIL_1]` copied from an earlier
   * unrestored answer): that number is never allocated, so an echo of it is left as is rather
   * than "restored" to an unrelated value. Call before redacting the request.
   */
  reserveLiteralPlaceholders(text: string): void {
    if (!text.includes("[")) return;
    for (const [token] of text.matchAll(PLACEHOLDER_TOKEN)) if (!this.#byPlaceholder.has(token)) this.#reserved.add(token);
  }

  /** The placeholder for `value`, allocated on first sight; counts one redaction. */
  placeholderFor(category: PiiCategory, value: string, source: PiiSource): string {
    this.#counts[category]++;
    const key = `${category}\u0000${value}`;
    const known = this.#byValue.get(key);
    if (known) return known;
    let placeholder: string;
    do placeholder = `[${PLACEHOLDER_LABELS[category]}_${this.#next[category]++}]`;
    while (this.#reserved.has(placeholder));
    this.#byValue.set(key, placeholder);
    this.#byPlaceholder.set(placeholder, { value, restorable: source === "request" });
    return placeholder;
  }

  /** The request value behind `placeholder`, or undefined (unknown, reserved, or new model PII). */
  originalOf(placeholder: string): string | undefined {
    const entry = this.#byPlaceholder.get(placeholder);
    return entry?.restorable ? entry.value : undefined;
  }

  /** Like `originalOf`, counting one restoration when there is an original. */
  restore(placeholder: string): string | undefined {
    const value = this.originalOf(placeholder);
    if (value !== undefined) this.#counts.restored++;
    return value;
  }

  /** Whether `value` is a request value (so restoring output may show it). */
  isRequestValue(category: PiiCategory, value: string): boolean {
    const placeholder = this.#byValue.get(`${category}\u0000${value}`);
    return placeholder !== undefined && this.originalOf(placeholder) !== undefined;
  }

  /** Distinct values held, per category. */
  sizes(): Record<PiiCategory, number> {
    const sizes: Record<PiiCategory, number> = { email: 0, phone: 0, ssn: 0 };
    for (const key of this.#byValue.keys()) sizes[key.slice(0, key.indexOf("\u0000")) as PiiCategory]++;
    return sizes;
  }

  /** A snapshot of the running counts (never values). */
  counts(): PiiCounts {
    return { ...this.#counts };
  }

  /** What happened since an earlier snapshot: one guardrail run's counts. */
  countsSince(before: PiiCounts): PiiCounts {
    const now = this.counts();
    for (const category of PII_CATEGORIES) now[category] -= before[category];
    now.restored -= before.restored;
    return now;
  }
}
