/**
 * Shared vocabulary of the scanners. A scanner looks at one position of a text and answers with a
 * verdict: the end of a match (> start), `NO_MATCH`, or `NEED_MORE` when the answer depends on
 * characters that have not arrived yet. Scanners read a bounded window and never look further
 * left than one character, which is what lets the stream redactor resume a scan exactly where it
 * stopped (see stream.ts).
 */
export type Verdict = number;
export const NO_MATCH = -1;
export const NEED_MORE = -2;

export const AT = 0x40;
export const DOT = 0x2e;
export const DASH = 0x2d;
export const PLUS = 0x2b;
export const LPAREN = 0x28;
export const RPAREN = 0x29;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;
export const UNDERSCORE = 0x5f;
const COMMA = 0x2c;
const COLON = 0x3a;

/** `charCodeAt` past either end is NaN, which every predicate below answers false for. */
export const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
export const isLetter = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
export const isAlnum = (c: number): boolean => isDigit(c) || isLetter(c);
export const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;

/**
 * Characters that glue a number to what precedes it: a phone or SSN may not start right after
 * one of them (`ORD-415-555-0100`, `#4155550100`, `$415.555.0100`, `v2.415…`). Non-ASCII
 * characters (é, 🌍, CJK) are neutral, so `電話415-555-0100` is still found.
 */
const NUMBER_GLUE = new Set([..."_+-.#$€£¥@&=%\\"].map((ch) => ch.charCodeAt(0)));

export function canStartNumber(text: string, at: number): boolean {
  const prev = text.charCodeAt(at - 1);
  return !isAlnum(prev) && !NUMBER_GLUE.has(prev);
}

/**
 * The right edge of a phone or SSN ending at `end`: not run on into a word, an email, a
 * decimal / time / version (`415.555.0100.5`, `…0100:30`) or a dashed id (`123-45-6789-0`; it
 * also stops `+49 30 1234567 123-45-6789` from taking the `123` of the SSN). Reads at most two
 * characters.
 */
export function closeNumber(text: string, end: number, final: boolean): Verdict {
  if (end >= text.length) return final ? end : NEED_MORE;
  const c = text.charCodeAt(end);
  if (isAlnum(c) || c === UNDERSCORE || c === AT) return NO_MATCH;
  if (c === DOT || c === COMMA || c === COLON || c === DASH) {
    if (end + 1 >= text.length) return final ? end : NEED_MORE;
    if (isDigit(text.charCodeAt(end + 1))) return NO_MATCH;
  }
  return end;
}
