/**
 * CSV cells per RFC 4180, with spreadsheet formula injection neutralised (OWASP "CSV
 * Injection"): a text cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, so
 * Excel, LibreOffice and Sheets show it as text instead of evaluating it. Numbers and booleans
 * are typed values, not text: `-3` stays a number.
 */
export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value !== "string") return String(value);
  const neutralised = FORMULA_START.test(value);
  const text = neutralised ? `'${value}` : value;
  // A neutralised cell is quoted too (OWASP), so the prefix survives any re-parse intact.
  if (!neutralised && !NEEDS_QUOTES.test(text)) return text;
  return `"${text.replaceAll('"', '""')}"`;
}

/** One record, CRLF-terminated (RFC 4180 section 2). */
export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}
