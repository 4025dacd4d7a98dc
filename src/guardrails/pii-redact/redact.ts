import { scanText, type ScanSpan } from "./detect.ts";
import type { PiiVault } from "./placeholders.ts";

export interface RestoreOptions {
  /** `restore_output`: put request values back where the model echoed their placeholders. */
  restore: boolean;
}

/** Redacting the client's request, or treating the model's output. */
export type RenderMode = { source: "request" } | { source: "response"; restore: boolean };

function replace(kind: ScanSpan["kind"], token: string, vault: PiiVault, mode: RenderMode): string {
  const restoring = mode.source === "response" && mode.restore;
  // A placeholder-shaped token not in the vault (or reserved, or minted for model PII) stays.
  if (kind === "placeholder") return restoring ? (vault.restore(token) ?? token) : token;
  // The model wrote a request value verbatim: restoring would show it anyway.
  if (restoring && vault.isRequestValue(kind, token)) return token;
  return vault.placeholderFor(kind, token, mode.source);
}

/**
 * `text[from, to)` with every span replaced. Redacting new PII and restoring happen in this one
 * left-to-right pass over the model's own text, so a restored value is never rescanned (and
 * re-redacted) and a placeholder minted for new PII is never mistaken for an echo.
 */
export function renderSpans(
  text: string,
  from: number,
  to: number,
  spans: readonly ScanSpan[],
  vault: PiiVault,
  mode: RenderMode,
): string {
  let out = "";
  let at = from;
  for (const { kind, start, end } of spans) {
    out += text.slice(at, start) + replace(kind, text.slice(start, end), vault, mode);
    at = end;
  }
  return out + text.slice(at, to);
}

function renderAll(text: string, vault: PiiVault, mode: RenderMode): string {
  const { spans } = scanText(text);
  return spans.length === 0 ? text : renderSpans(text, 0, text.length, spans, vault, mode);
}

/** Pre-call: every email, phone and SSN becomes its placeholder. Placeholder-shaped text stays. */
export function redactText(text: string, vault: PiiVault): string {
  vault.reserveLiteralPlaceholders(text);
  return renderAll(text, vault, { source: "request" });
}

/**
 * Post-call (and the reference for the stream redactor): new PII in the model's text is
 * redacted into new, never-restorable placeholders; with `restore`, echoed request placeholders
 * become their originals; placeholder-shaped tokens the vault does not know stay as they are.
 */
export function restoreText(text: string, vault: PiiVault, options: RestoreOptions): string {
  return renderAll(text, vault, { source: "response", restore: options.restore });
}

// Objects are walked with for-in over their own keys (what Object.values and Object.entries
// list, in the same order) rather than through those arrays: a request body is walked twice
// per pre-call run, and the arrays were most of the walk's allocations.
const hasOwn = Object.hasOwn;

function forEachString(value: unknown, visit: (text: string) => void): void {
  if (typeof value === "string") visit(value);
  else if (Array.isArray(value)) for (const item of value) forEachString(item, visit);
  else if (value !== null && typeof value === "object") {
    const object = value as Record<string, unknown>;
    for (const key in object) if (hasOwn(object, key)) forEachString(object[key], visit);
  }
}

/**
 * `value` with every string leaf mapped; object keys untouched. Copy on write: a container none
 * of whose leaves changed is returned as is, so an untouched request keeps its identity (and is
 * forwarded byte for byte). A changed object is rebuilt with `fromEntries`, which keeps
 * `__proto__` an own key.
 */
function mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === "string") return map(value);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const next = mapStrings(item, map);
      if (out) out.push(next);
      else if (next !== item) (out = value.slice(0, i)).push(next);
    }
    return out ?? value;
  }
  const object = value as Record<string, unknown>;
  let entries: [string, unknown][] | null = null; // from the first change on
  let index = 0;
  for (const key in object) {
    if (!hasOwn(object, key)) continue;
    const item = object[key];
    const next = mapStrings(item, map);
    if (entries) entries.push([key, next]);
    else if (next !== item) (entries = Object.entries(object).slice(0, index)).push([key, next]);
    index++;
  }
  return entries ? Object.fromEntries(entries) : value;
}

/**
 * Pre-call on a parsed JSON body: every string leaf, at any depth, is redacted. Placeholder-shaped
 * text anywhere in the body is reserved first, so numbering skips it whatever the leaf order.
 * Numbers, booleans and keys are left alone (a phone sent as a JSON number is not found).
 */
export function redactJson<T>(value: T, vault: PiiVault): T {
  forEachString(value, (text) => vault.reserveLiteralPlaceholders(text));
  return mapStrings(value, (text) => renderAll(text, vault, { source: "request" })) as T;
}

/** Post-call on a parsed JSON response: `restoreText` on every string leaf. */
export function restoreJson<T>(value: T, vault: PiiVault, options: RestoreOptions): T {
  return mapStrings(value, (text) => restoreText(text, vault, options)) as T;
}
