import { csvLine, type CsvValue } from "../../core/csv.ts";
import type { UsageExportRow } from "../../store/repos/usage-export.ts";

/** CSV columns, in order: the contract 5 ledger fields plus id, error_code and stream. */
export const EXPORT_COLUMNS = [
  "id",
  "request_id",
  "created_at",
  "key_id",
  "project_id",
  "route",
  "model",
  "provider",
  "service_name",
  "task_id",
  "run_id",
  "status",
  "status_code",
  "error_code",
  "stream",
  "latency_ms",
  "first_token_ms",
  "input_tokens",
  "output_tokens",
  "total_tokens",
  "estimated_cost_usd",
  "fallback_count",
  "guardrails",
] as const satisfies readonly (keyof UsageExportRow)[];

/**
 * An export body in three parts, so rows can be written chunk by chunk: `head`, then `rows`
 * for each chunk (told whether it is the first), then `tail` once the next cursor is known.
 */
export interface ExportFormat {
  contentType: string;
  extension: string;
  head(): string;
  rows(rows: UsageExportRow[], first: boolean): string;
  tail(nextCursor: string | null): string;
}

// Guardrail names are service-name-like (no `;`); the cell escaping covers anything else.
const cellOf = (value: UsageExportRow[keyof UsageExportRow]): CsvValue =>
  Array.isArray(value) ? value.join(";") : value;

export const CSV_EXPORT: ExportFormat = {
  contentType: "text/csv; charset=utf-8",
  extension: "csv",
  head: () => csvLine(EXPORT_COLUMNS),
  rows: (rows) => {
    let text = "";
    for (const row of rows) text += csvLine(EXPORT_COLUMNS.map((column) => cellOf(row[column])));
    return text;
  },
  tail: () => "",
};

export const JSON_EXPORT: ExportFormat = {
  contentType: "application/json",
  extension: "json",
  head: () => '{"data":[',
  rows: (rows, first) => (first ? "" : ",") + rows.map((row) => JSON.stringify(row)).join(","),
  tail: (nextCursor) => `],"next_cursor":${JSON.stringify(nextCursor)}}`,
};

/** `20300101T000000Z`: a file name without `:` (Windows) for an instant, or a word for an open end. */
export function fileStamp(at: Date | undefined, open: string): string {
  if (!at) return open;
  return at.toISOString().replace(/\.\d{3}Z$/, "Z").replaceAll("-", "").replaceAll(":", "");
}
