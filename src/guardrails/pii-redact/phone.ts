import {
  canStartNumber,
  closeNumber,
  isDigit,
  LPAREN,
  NEED_MORE,
  NO_MATCH,
  PLUS,
  RPAREN,
  type Verdict,
} from "./chars.ts";

/**
 * Phone numbers. A candidate is an optional `+` then digit groups, a group being digits or
 * `(digits)`, joined by one space, `-` or `.` (nothing is needed after a `)`: `(415)555-0100`,
 * `(0)20`). The longest prefix of groups that has one of these shapes, and a clean right edge,
 * is the match:
 *
 * - international: `+` (or `00`) then 8–15 digits; the country code group has 1–3 digits and
 *   does not start with 0, or the whole number is one group (`+14155550100`);
 * - North American: `AAA BBB CCCC` as 3-3-4 with separators or `(AAA)`, optionally after a `1`
 *   group (`1-800-555-0100`);
 * - national with a trunk 0: `0X…` (2–5 digits) then 1–3 groups of 3+ digits, 9–12 digits in
 *   all (`020 7946 0958`, `030 1234567`), or the French `06 12 34 56 78`.
 *
 * Not phones, on purpose: digit runs without separators or `+` (`4155550100`: order ids), 7-digit
 * locals (`555-0100`), dates (4-2-2, 2-2-4, `/`), years, prices and amounts (`$`, `,` groups),
 * version numbers and IPs, numbers glued to letters or `-`/`#` (`ORD-415-555-0100`), extensions
 * glued to the number (`…0100x12` is not found at all). Shapes are not checked against real
 * numbering plans, so `123-456-7890` counts.
 */

interface Group {
  digits: string;
  paren: boolean;
  /** The separator before the group ("" for the first one or after a parenthesis). */
  sep: string;
  end: number;
}

const SEPARATORS = new Set([" ", "-", "."]);
const MAX_GROUPS = 6;
const MAX_DIGITS = 17;
const MAX_GROUP_DIGITS = 15;
const MAX_PAREN_DIGITS = 5;

/** Digits from `at`: [digits, end], NO_MATCH when there are none or too many, NEED_MORE at the end. */
function readDigits(text: string, at: number, max: number, final: boolean): [string, number] | Verdict {
  let end = at;
  while (end < text.length && isDigit(text.charCodeAt(end))) {
    if (end - at === max) return NO_MATCH;
    end++;
  }
  if (end === text.length && !final) return NEED_MORE;
  return end === at ? NO_MATCH : [text.slice(at, end), end];
}

function readGroup(text: string, at: number, sep: string, final: boolean): Group | Verdict {
  if (at >= text.length) return final ? NO_MATCH : NEED_MORE;
  const paren = text.charCodeAt(at) === LPAREN;
  const read = readDigits(text, paren ? at + 1 : at, paren ? MAX_PAREN_DIGITS : MAX_GROUP_DIGITS, final);
  if (typeof read === "number") return read;
  const [digits, end] = read;
  if (!paren) return { digits, paren, sep, end };
  if (text.charCodeAt(end) !== RPAREN) return NO_MATCH; // end < length, readDigits made sure
  return { digits, paren, sep, end: end + 1 };
}

/** What joins the group ending at `end` to the next one: [sep, next group start]. */
function readSeparator(text: string, end: number, afterParen: boolean, final: boolean): [string, number] | Verdict {
  if (end >= text.length) return final ? NO_MATCH : NEED_MORE;
  const c = text.charCodeAt(end);
  if (c === LPAREN || (afterParen && isDigit(c))) return ["", end];
  const sep = text.charAt(end);
  if (!SEPARATORS.has(sep)) return NO_MATCH;
  if (end + 1 >= text.length) return final ? NO_MATCH : NEED_MORE;
  const next = text.charCodeAt(end + 1);
  return isDigit(next) || next === LPAREN ? [sep, end + 1] : NO_MATCH;
}

const digitCount = (groups: readonly Group[]): number => groups.reduce((n, g) => n + g.digits.length, 0);

function isInternational(groups: readonly Group[], total: number): boolean {
  const [code] = groups;
  if (!code || code.paren || code.digits.startsWith("0") || total < 8 || total > 15) return false;
  return groups.length === 1 || code.digits.length <= 3;
}

function isNorthAmerican(groups: readonly Group[]): boolean {
  const [one, ...rest] = groups;
  const local = groups.length === 4 && one?.digits === "1" && !one.paren ? rest : groups;
  if (local.length !== 3) return false;
  const [area, exchange, line] = local as [Group, Group, Group];
  return area.digits.length === 3 && exchange.digits.length === 3 && line.digits.length === 4 && !exchange.paren && !line.paren;
}

function isNationalWithTrunk(groups: readonly Group[], total: number): boolean {
  const [head, ...rest] = groups as [Group, ...Group[]];
  if (head.digits.length < 2 || head.digits[0] !== "0" || head.digits[1] === "0") return false;
  const french = rest.length === 4 && groups.every((g) => !g.paren && g.digits.length === 2) && rest.every((g) => g.sep === rest[0]?.sep);
  if (french) return true;
  const grouped = rest.length >= 1 && rest.length <= 3 && rest.every((g) => !g.paren && g.digits.length >= 3);
  return grouped && head.digits.length <= 5 && total >= 9 && total <= 12;
}

function isPhoneShape(groups: readonly Group[], plus: boolean): boolean {
  const total = digitCount(groups);
  if (plus) return isInternational(groups, total);
  const head = groups[0] as Group;
  if (head.digits.startsWith("00") && !head.paren) {
    const code = { ...head, digits: head.digits.slice(2) };
    return groups.length >= 2 && code.digits.length > 0 && isInternational([code, ...groups.slice(1)], total - 2);
  }
  return isNorthAmerican(groups) || isNationalWithTrunk(groups, total);
}

export function scanPhone(text: string, at: number, final: boolean): Verdict {
  const first = text.charCodeAt(at);
  if (!(first === PLUS || first === LPAREN || isDigit(first)) || !canStartNumber(text, at)) return NO_MATCH;
  const plus = first === PLUS;
  const groups: Group[] = [];
  let next = plus ? at + 1 : at;
  let sep = "";
  let digits = 0;
  while (groups.length < MAX_GROUPS) {
    const group = readGroup(text, next, sep, final);
    if (group === NEED_MORE) return NEED_MORE;
    if (typeof group === "number" || (digits += group.digits.length) > MAX_DIGITS) break;
    groups.push(group);
    const joint = readSeparator(text, group.end, group.paren, final);
    if (joint === NEED_MORE) return NEED_MORE;
    if (typeof joint === "number") break;
    [sep, next] = joint;
  }
  for (let count = groups.length; count > 0; count--) {
    const prefix = groups.slice(0, count);
    if (!isPhoneShape(prefix, plus)) continue;
    const verdict = closeNumber(text, (prefix[count - 1] as Group).end, final);
    if (verdict !== NO_MATCH) return verdict;
  }
  return NO_MATCH;
}
