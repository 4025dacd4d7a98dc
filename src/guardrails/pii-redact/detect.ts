import {
  AT,
  canStartNumber,
  closeNumber,
  DASH,
  DOT,
  isAlnum,
  isDigit,
  LBRACKET,
  LPAREN,
  NEED_MORE,
  NO_MATCH,
  RBRACKET,
  type Verdict,
} from "./chars.ts";
import { scanPhone } from "./phone.ts";

export type PiiCategory = "email" | "phone" | "ssn";
export const PII_CATEGORIES: readonly PiiCategory[] = ["email", "phone", "ssn"];

/** `[EMAIL_1]`, `[PHONE_1]`, `[SSN_1]`. */
export const PLACEHOLDER_LABELS: Readonly<Record<PiiCategory, string>> = { email: "EMAIL", phone: "PHONE", ssn: "SSN" };

export interface PiiSpan {
  category: PiiCategory;
  start: number;
  end: number;
}

/** A PII value, or a placeholder-shaped token (which is never itself scanned for PII). */
export interface ScanSpan {
  kind: PiiCategory | "placeholder";
  start: number;
  end: number;
}

export interface Scan {
  spans: ScanSpan[];
  /** Everything before this index is decided; from it on, more text could change the answer. */
  stable: number;
}

/** RFC 5321 limits; a longer "address" is not one and is left alone (so the hold-back is bounded). */
export const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
const MAX_LABEL_LENGTH = 63;
const ZERO = 0x30;
export const MAX_PLACEHOLDER_DIGITS = 9;

/** ASCII `[A-Za-z0-9._%+-]` as a table: this test runs on nearly every character scanned. */
const LOCAL_CHARS = new Uint8Array(128);
for (const ch of "._%+-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") LOCAL_CHARS[ch.charCodeAt(0)] = 1;
/** NaN (past either end) and non-ASCII index nothing and answer false. */
const isLocalChar = (c: number): boolean => c < 128 && LOCAL_CHARS[c] === 1;
const isDomainChar = (c: number): boolean => isAlnum(c) || c === DASH || c === DOT;

function isLabel(label: string): boolean {
  return label.length > 0 && label.length <= MAX_LABEL_LENGTH && !label.startsWith("-") && !label.endsWith("-");
}

const isTopLevel = (label: string): boolean => /^(?:[a-z]{2,}|xn--[a-z0-9-]+)$/i.test(label);

/**
 * Emails: a run of `[A-Za-z0-9._%+-]` (1–64, not preceded by such a character or `@`), `@`, then
 * the longest run of complete DNS labels (1–63 chars, no edge hyphen) that ends in an alphabetic
 * (or `xn--`) top-level label, 254 characters in all. Not found: quoted or non-ASCII local parts,
 * IP-literal and single-label domains (`root@localhost`), longer addresses.
 */
function scanEmail(text: string, at: number, final: boolean): Verdict {
  const prev = text.charCodeAt(at - 1);
  if (!isLocalChar(text.charCodeAt(at)) || isLocalChar(prev) || prev === AT) return NO_MATCH;
  let cursor = at;
  for (;;) {
    if (cursor >= text.length) return final ? NO_MATCH : NEED_MORE;
    const c = text.charCodeAt(cursor);
    if (c === AT) break;
    if (!isLocalChar(c) || cursor - at === MAX_LOCAL_LENGTH) return NO_MATCH;
    cursor++;
  }
  const domainStart = cursor + 1;
  const limit = at + MAX_EMAIL_LENGTH; // the first index past the longest possible address
  let end = domainStart;
  while (end < text.length && end <= limit && isDomainChar(text.charCodeAt(end))) end++;
  const overLimit = end > limit;
  if (!overLimit && end === text.length && !final) return NEED_MORE;
  return domainEnd(text, domainStart, end, overLimit);
}

/**
 * The end of the longest run of whole labels in `text[start, end)` that ends in a top-level
 * label, or NO_MATCH. With `cut`, the last label runs on past `end` and does not count.
 */
function domainEnd(text: string, start: number, end: number, cut: boolean): Verdict {
  let best: Verdict = NO_MATCH;
  let labels = 0;
  for (let from = start; from < end; ) {
    let stop = from;
    while (stop < end && text.charCodeAt(stop) !== DOT) stop++;
    if (stop === end && cut) break;
    const label = text.slice(from, stop);
    if (!isLabel(label)) break;
    if (++labels >= 2 && isTopLevel(label)) best = stop;
    from = stop + 1;
  }
  return best;
}

/** US SSNs: `AAA-GG-SSSS`, area not 000, 666 or 9xx, group not 00, serial not 0000. Dashes only. */
function scanSsn(text: string, at: number, final: boolean): Verdict {
  if (!isDigit(text.charCodeAt(at)) || !canStartNumber(text, at)) return NO_MATCH;
  const shape = "ddd-dd-dddd";
  for (let n = 0; n < shape.length; n++) {
    if (at + n >= text.length) return final ? NO_MATCH : NEED_MORE;
    const c = text.charCodeAt(at + n);
    if (shape[n] === "d" ? !isDigit(c) : c !== DASH) return NO_MATCH;
  }
  const area = text.slice(at, at + 3);
  const valid =
    area !== "000" && area !== "666" && area[0] !== "9" && text.slice(at + 4, at + 6) !== "00" && text.slice(at + 7, at + 11) !== "0000";
  return valid ? closeNumber(text, at + shape.length, final) : NO_MATCH;
}

const PLACEHOLDER_PREFIXES = Object.values(PLACEHOLDER_LABELS).map((label) => `[${label}_`);
const LONGEST_PREFIX = Math.max(...PLACEHOLDER_PREFIXES.map((p) => p.length));

/** `[EMAIL_n]`, `[PHONE_n]`, `[SSN_n]` with n = 1–9 digits, no leading zero. */
function scanPlaceholder(text: string, at: number, final: boolean): Verdict {
  if (text.charCodeAt(at) !== LBRACKET) return NO_MATCH;
  const head = text.slice(at, at + LONGEST_PREFIX);
  const prefix = PLACEHOLDER_PREFIXES.find((p) => head.startsWith(p) || (at + head.length === text.length && p.startsWith(head)));
  if (!prefix) return NO_MATCH;
  if (!head.startsWith(prefix)) return final ? NO_MATCH : NEED_MORE;
  const digits = at + prefix.length;
  for (let end = digits; ; end++) {
    if (end >= text.length) return final ? NO_MATCH : NEED_MORE;
    const c = text.charCodeAt(end);
    if (c === RBRACKET && end > digits) return end + 1;
    if (!isDigit(c) || (end === digits && c === ZERO) || end - digits === MAX_PLACEHOLDER_DIGITS) return NO_MATCH;
  }
}

/** In priority order: an email beats the phone or SSN its local part may contain. */
const SCANNERS: readonly [ScanSpan["kind"], (text: string, at: number, final: boolean) => Verdict][] = [
  ["placeholder", scanPlaceholder],
  ["email", scanEmail],
  ["ssn", scanSsn],
  ["phone", scanPhone],
];

const mayStartSpan = (c: number): boolean => isLocalChar(c) || c === LBRACKET || c === LPAREN;

/**
 * Scans `text` from `from` (the character before `from` is left context) for PII and
 * placeholder-shaped tokens, left to right, taking the first scanner that matches at each
 * position and resuming after its match. With `final` false it stops at the first position whose
 * answer still depends on text to come, and reports it as `stable`.
 */
export function scanText(text: string, from = 0, final = true): Scan {
  const spans: ScanSpan[] = [];
  return { spans, stable: scanInto(text, from, final, spans) };
}

/**
 * scanText into the caller's `spans` (appended to), returning `stable`: the stream redactor
 * scans every delta, and keeps one array for it rather than two new objects per scan.
 */
export function scanInto(text: string, from: number, final: boolean, spans: ScanSpan[]): number {
  let at = from;
  positions: while (at < text.length) {
    const c = text.charCodeAt(at);
    // Past the first character of a run of local characters only a placeholder can start: an
    // email starts its run, and a phone or SSN may not follow a letter, digit or `._%+-`.
    if (!mayStartSpan(c) || (c !== LBRACKET && isLocalChar(text.charCodeAt(at - 1)))) {
      at++;
      continue;
    }
    for (let k = 0; k < SCANNERS.length; k++) {
      const verdict = SCANNERS[k]![1](text, at, final);
      if (verdict === NEED_MORE) return at;
      if (verdict > at) {
        spans.push({ kind: SCANNERS[k]![0], start: at, end: verdict });
        at = verdict;
        continue positions;
      }
    }
    at++;
  }
  return text.length;
}

/** The PII in a complete text, as non-overlapping spans in order. */
export function detectPii(text: string): PiiSpan[] {
  const found: PiiSpan[] = [];
  for (const { kind, start, end } of scanText(text).spans) if (kind !== "placeholder") found.push({ category: kind, start, end });
  return found;
}
