/**
 * Edits of a chat completion chunk's JSON text that keep the upstream's bytes around them, for
 * the guarded stream's frames (nearly every one changes: the redactor holds back a trailing
 * word). Each is used only when certain, and answers null otherwise (the caller re-serialises).
 * What makes it certain: without a backslash a key can only be spelt literally, so a key that
 * occurs once as `"name":` is the one the parsed chunk has.
 */
import { bytesAt, utf8Range } from "./bytes.ts";

const CONTENT_KEY = '"content"';
const DELTA_KEY = '"delta"';
const TOOL_CALLS_KEY = '"tool_calls"';
const BACKSLASH = "\\";
const COLON = 0x3a;
const QUOTE_BYTE = 0x22;
const BACKSLASH_BYTE = 0x5c;
const LF = 0x0a;
const encoder = new TextEncoder();
const DATA_PREFIX = encoder.encode("data: ");
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

/**
 * A content shape as the wire bytes of a frame written as one `data: ` line: `data: ${head}`,
 * the value, `${tail}` and the blank line. The frames of a stream that match it are read and
 * rewritten without decoding or re-encoding anything but their content value.
 */
export interface WireShape {
  head: Uint8Array;
  tail: Uint8Array;
}

/**
 * The wire form of `shape`, learnt from `raw`, the frame whose data has `content` as its value in
 * that shape; null when the frame is not written as one `data: ` line around it.
 */
export function wireShape(shape: ContentShape, raw: Uint8Array, content: string): WireShape | null {
  const headLength = DATA_PREFIX.length + Buffer.byteLength(shape.head, "utf8");
  const tailLength = Buffer.byteLength(shape.tail, "utf8") + 2;
  if (headLength + tailLength + 2 > raw.length || !bytesAt(raw, DATA_PREFIX)) return null;
  if (raw[raw.length - 2] !== LF || raw[raw.length - 1] !== LF) return null;
  // Copies: a view would keep the upstream's whole read alive for the stream's lifetime.
  const wire = { head: raw.slice(0, headLength), tail: raw.slice(raw.length - tailLength) };
  // Lengths alone could line up by accident (a replaced invalid byte): the value must read back.
  return contentInWire(raw, wire) === content ? wire : null;
}

/**
 * contentIn on wire bytes: the content of a frame written as `wire` around a plain string value
 * (no quote, backslash or control byte inside; bytes of multi-byte characters are all >= 0x80),
 * decoded alone; null otherwise.
 */
export function contentInWire(raw: Uint8Array, wire: WireShape): string | null {
  const { head, tail } = wire;
  const start = head.length;
  const end = raw.length - tail.length;
  if (end - start < 2 || raw[start] !== QUOTE_BYTE || raw[end - 1] !== QUOTE_BYTE) return null;
  for (let i = start + 1; i < end - 1; i++) {
    const byte = raw[i]!;
    if (byte === QUOTE_BYTE || byte === BACKSLASH_BYTE || byte < 0x20) return null;
  }
  if (!bytesAt(raw, head) || !bytesAt(raw, tail, end)) return null;
  return utf8Range(raw, start + 1, end - 1);
}

/** The wire bytes of a frame of `wire` with `next` as its content. */
export function withContentWire(wire: WireShape, next: string): Uint8Array {
  const { head, tail } = wire;
  const n = next.length;
  // Printable ASCII without a quote or backslash (most model text) is its own JSON and its own
  // UTF-8: written straight into the frame, without JSON.stringify and encode.
  let plain = true;
  for (let i = 0; i < n; i++) {
    const c = next.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === QUOTE_BYTE || c === BACKSLASH_BYTE) {
      plain = false;
      break;
    }
  }
  if (plain) {
    const out = new Uint8Array(head.length + n + 2 + tail.length);
    out.set(head);
    let at = head.length;
    out[at++] = QUOTE_BYTE;
    for (let i = 0; i < n; i++) out[at++] = next.charCodeAt(i);
    out[at++] = QUOTE_BYTE;
    out.set(tail, at);
    return out;
  }
  // Encoded on its own and copied in: encodeInto through a view of the fresh array (subarray)
  // measured slower on the bench's streams.
  const value = encoder.encode(JSON.stringify(next));
  const out = new Uint8Array(head.length + value.length + tail.length);
  out.set(head);
  out.set(value, head.length);
  out.set(tail, head.length + value.length);
  return out;
}
