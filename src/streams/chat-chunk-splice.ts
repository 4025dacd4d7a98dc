/**
 * Edits of a chat completion chunk's JSON text that keep the upstream's bytes around them, for
 * the guarded stream's frames (nearly every one changes: the redactor holds back a trailing
 * word). Each is used only when certain, and answers null otherwise (the caller re-serialises).
 * What makes it certain: without a backslash a key can only be spelt literally, so a key that
 * occurs once as `"name":` is the one the parsed chunk has.
 */
const CONTENT_KEY = '"content"';
const DELTA_KEY = '"delta"';
const TOOL_CALLS_KEY = '"tool_calls"';
const BACKSLASH = "\\";
const COLON = 0x3a;
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** Where the value of the key whose quoted name starts at `key` begins; -1 when no colon follows (not a key). */
function valueAt(data: string, key: number, quotedKey: string): number {
  let at = key + quotedKey.length;
  while (isSpace(data.charCodeAt(at))) at++;
  if (data.charCodeAt(at++) !== COLON) return -1;
  while (isSpace(data.charCodeAt(at))) at++;
  return at;
}

/** The value of the one key `quotedKey` in `data`; -1 when it is missing, not a key, or occurs twice. */
function soleValueAt(data: string, quotedKey: string): number {
  const key = data.indexOf(quotedKey);
  if (key < 0 || data.includes(quotedKey, key + 1)) return -1;
  return valueAt(data, key, quotedKey);
}

/** No key of `data` holds text to treat: no backslash, no `"tool_calls"`, every `"content"` null or "". */
export function holdsNoText(data: string): boolean {
  if (data.includes(BACKSLASH) || data.includes(TOOL_CALLS_KEY)) return false;
  for (let key = data.indexOf(CONTENT_KEY); key >= 0; key = data.indexOf(CONTENT_KEY, key + 1)) {
    const at = valueAt(data, key, CONTENT_KEY);
    if (at >= 0 && !data.startsWith('""', at) && !data.startsWith("null", at)) return false;
  }
  return true;
}

/** A chunk's text before and after its one `"content"` value, that value left out. */
export interface ContentShape {
  head: string;
  tail: string;
}

/**
 * The shape of `data` around its `"content"` value `old`: `"content"` occurs once, as a key whose
 * value is written exactly as JSON.stringify(old), and no backslash appears outside it.
 */
export function contentShape(data: string, old: string): ContentShape | null {
  const at = soleValueAt(data, CONTENT_KEY);
  const quoted = JSON.stringify(old);
  if (at < 0 || !data.startsWith(quoted, at)) return null;
  const end = at + quoted.length;
  const backslash = data.indexOf(BACKSLASH);
  if (backslash >= 0 && (backslash < at || data.lastIndexOf(BACKSLASH) >= end)) return null;
  return { head: data.slice(0, at), tail: data.slice(end) };
}

/** The chunk of `shape` with `next` as its content. */
export function withContent(shape: ContentShape, next: string): string {
  return `${shape.head}${JSON.stringify(next)}${shape.tail}`;
}

/** A string value needing no escape: its text is what is written between its quotes. */
const PLAIN_STRING = /^"[^"\\\u0000-\u001f]*"$/;

/**
 * The content of `data` when it is written as `shape` around a plain string value: another
 * value put between the same head and tail is the same key of the same structure (the value
 * cannot end early without a quote, nor escape anything without a backslash). Null otherwise.
 */
export function contentIn(data: string, shape: ContentShape): string | null {
  const { head, tail } = shape;
  const end = data.length - tail.length;
  if (end - head.length < 2 || !data.startsWith(head) || !data.endsWith(tail)) return null;
  const value = data.slice(head.length, end);
  return PLAIN_STRING.test(value) ? value.slice(1, -1) : null;
}

/**
 * `data` with `"content": next` put into its delta, which the caller knows is empty (a finish
 * chunk releasing held text): `"delta"` occurs once, as a key whose value is `{}`, and `data`
 * has no backslash.
 */
export function insertContent(data: string, next: string): string | null {
  if (data.includes(BACKSLASH)) return null;
  const at = soleValueAt(data, DELTA_KEY);
  if (at < 0 || data.charCodeAt(at) !== 0x7b) return null;
  let close = at + 1;
  while (isSpace(data.charCodeAt(close))) close++;
  if (data.charCodeAt(close) !== 0x7d) return null;
  return `${data.slice(0, at + 1)}${CONTENT_KEY}:${JSON.stringify(next)}${data.slice(close)}`;
}
