/**
 * Appending rows with `COPY … FROM STDIN` (text format) through postgres.js: the rows as COPY
 * text, and the COPY itself with the errors postgres.js would otherwise lose.
 */
import type { Sql } from "postgres";

const SPECIAL = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** One field of COPY text: NULL as `\N`; backslash, tab, newline and carriage return escaped. */
export function copyField(value: string | null): string {
  if (value === null) return "\\N";
  return SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : value;
}

/** Rows given column by column (values[column][row], as insertColumns takes them) as COPY text. */
export function copyText(values: readonly (readonly (string | null)[])[]): string {
  const rows = values[0]?.length ?? 0;
  const columns = values.length;
  // One field array reused for every row, joined once: a line built with `+=` would allocate a
  // rope string per field.
  const fields = new Array<string>(columns);
  const lines = new Array<string>(rows + 1);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) fields[c] = copyField(values[c]![r]!);
    lines[r] = fields.join("\t");
  }
  lines[rows] = ""; // the final line break
  return rows === 0 ? "" : lines.join("\n");
}

/**
 * Runs `statement` (a `copy … from stdin`) with `data` as its input; rejects with PostgreSQL's
 * error (SQLSTATE in `code`) when it refuses a row.
 *
 * Two postgres.js gaps are worked around here. It resolves the query with the stream, so an
 * error PostgreSQL reports after the data (a bad row) only reaches the query's `reject`, which
 * then does nothing, and the stream never finishes: `reject` is taken over once the stream is
 * ours. And it may pipeline another pool query behind the COPY on the same connection, which
 * PostgreSQL treats as a protocol violation: the COPY runs on a reserved connection.
 */
export async function copyIn(client: Sql, statement: string, data: string): Promise<void> {
  const connection = await client.reserve();
  try {
    const query = connection.unsafe(statement);
    const stream = await query.writable();
    await new Promise<void>((resolve, reject) => {
      const fail = (error: unknown) => {
        // Destroyed, it ignores the completion a later query on this connection would report.
        stream.destroy();
        reject(error);
      };
      (query as unknown as { reject: (error: unknown) => void }).reject = fail;
      stream.on("error", fail);
      stream.on("finish", resolve);
      stream.end(data);
    });
  } finally {
    connection.release();
  }
}
