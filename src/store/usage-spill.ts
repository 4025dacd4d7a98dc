/**
 * Spill files for the usage ledger: JSON lines appended when the in-memory queue is full (or at
 * shutdown with rows still unwritten), replayed batch by batch once PostgreSQL takes writes
 * again, and deleted when every row is in the table. One gateway process per directory: a file
 * is replayed by whichever ledger finds it, so concurrently running gateways must not share one.
 */
import { appendFile, mkdir, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { usageEvents } from "./schema.ts";

type Row = typeof usageEvents.$inferInsert;

const SPILL_FILE = /^usage-spill-(\d+)-(\d+)\.jsonl$/;
/** Rows per appendFile call: bounds the size of one serialized chunk. */
const APPEND_CHUNK_ROWS = 5_000;
const APPEND_ATTEMPTS = 3;
const APPEND_RETRY_MS = 100;

export function encodeSpillRow(row: Row): string {
  return `${JSON.stringify(row)}\n`;
}

/** The row a spill line holds, or null for a torn or foreign line. */
export function decodeSpillRow(line: string): Row | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const { id: _generated, ...row } = value as Row & { id?: unknown };
  if (typeof row.requestId !== "string") return null;
  if (row.createdAt !== undefined && row.createdAt !== null) row.createdAt = new Date(row.createdAt as unknown as string);
  return row;
}

export interface SpillWriter {
  /** Buffers rows for the current spill file; they are appended asynchronously, off the caller's path. */
  add(rows: Row[]): void;
  /** Rows buffered but not yet appended. */
  readonly pending: number;
  /** The file new rows are appended to, null until the next append opens one. */
  readonly currentFile: string | null;
  /** Resolves once everything buffered so far has been appended (or given up on). */
  idle(): Promise<void>;
  /** Later rows go to a new file; resolves when the sealed file has no append in flight. */
  seal(): Promise<void>;
}

export interface SpillWriterOptions {
  dir: string;
  logger: Logger;
  onAppended(count: number): void;
  /** Appends failed APPEND_ATTEMPTS times: the rows are gone, the caller counts them. */
  onLost(count: number): void;
}

export function createSpillWriter({ dir, logger, onAppended, onLost }: SpillWriterOptions): SpillWriter {
  let buffer: Row[] = [];
  let current: string | null = null;
  let writing: Promise<void> | null = null;
  let lastStamp = 0;
  let dirReady = false;

  function nextFile(): string {
    lastStamp = Math.max(Date.now(), lastStamp + 1); // unique even when files are sealed within one ms
    return join(dir, `usage-spill-${process.pid}-${lastStamp}.jsonl`);
  }

  async function append(rows: Row[]): Promise<void> {
    const text = rows.map(encodeSpillRow).join("");
    for (let attempt = 1; ; attempt++) {
      const file = (current ??= nextFile());
      try {
        if (!dirReady) await mkdir(dir, { recursive: true, mode: 0o700 });
        dirReady = true;
        await appendFile(file, text, { mode: 0o600 });
        onAppended(rows.length);
        return;
      } catch (err) {
        const { code, message } = err as { code?: string; message?: string };
        if (attempt >= APPEND_ATTEMPTS) {
          logger.error({ rows: rows.length, code, error: message }, "usage ledger: spill append failed; rows lost");
          onLost(rows.length);
          return;
        }
        dirReady = false;
        await new Promise((resolve) => setTimeout(resolve, APPEND_RETRY_MS * attempt));
      }
    }
  }

  async function drain(): Promise<void> {
    // Let the rows of this tick gather into one append.
    await new Promise((resolve) => setImmediate(resolve));
    while (buffer.length > 0) {
      const rows = buffer.length > APPEND_CHUNK_ROWS ? buffer.splice(0, APPEND_CHUNK_ROWS) : buffer;
      if (rows === buffer) buffer = [];
      await append(rows);
    }
  }

  return {
    add(rows) {
      for (const row of rows) buffer.push(row);
      writing ??= drain().finally(() => void (writing = null));
    },
    get pending() {
      return buffer.length;
    },
    get currentFile() {
      return current;
    },
    async idle() {
      while (writing) await writing;
    },
    async seal() {
      const inFlight = writing;
      current = null;
      // An append already in flight finishes into the sealed file; anything after opens a new one.
      if (inFlight) await inFlight;
    },
  };
}

/** Spill files in dir, oldest first, except `exclude` (the file this process still appends to). */
export async function listSpillFiles(dir: string, exclude: string | null): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return [];
    throw err;
  }
  const stamp = (name: string) => Number(SPILL_FILE.exec(name)?.[2] ?? 0);
  return names
    .filter((name) => SPILL_FILE.test(name))
    .sort((a, b) => stamp(a) - stamp(b) || a.localeCompare(b))
    .map((name) => join(dir, name))
    .filter((path) => path !== exclude);
}

export interface SpillReader {
  /** Up to `max` rows (skipping unreadable lines, counted in badLines); null at the end of the file. */
  next(max: number): Promise<{ rows: Row[]; badLines: number } | null>;
  close(): void;
}

/** Streams a spill file: memory stays bounded by one batch whatever the file's size. */
export function openSpillReader(path: string): SpillReader {
  const reader = Bun.file(path).stream().getReader();
  const decoder = new TextDecoder();
  let lines: string[] = [];
  let index = 0;
  let carry = "";
  let eof = false;

  async function nextLine(): Promise<string | null> {
    while (index >= lines.length) {
      if (eof) {
        if (!carry) return null;
        const last = carry;
        carry = "";
        return last;
      }
      const { value, done } = await reader.read();
      if (done) {
        eof = true;
        carry += decoder.decode();
        continue;
      }
      lines = (carry + decoder.decode(value, { stream: true })).split("\n");
      carry = lines.pop() ?? "";
      index = 0;
    }
    return lines[index++] ?? null;
  }

  return {
    async next(max) {
      const rows: Row[] = [];
      let badLines = 0;
      while (rows.length < max) {
        const line = await nextLine();
        if (line === null) break;
        if (line.trim() === "") continue;
        const row = decodeSpillRow(line);
        if (row) rows.push(row);
        else badLines++;
      }
      return rows.length > 0 || badLines > 0 ? { rows, badLines } : null;
    },
    close() {
      reader.cancel().catch(() => {});
    },
  };
}

export interface SpillReplayer {
  /** Files may be waiting (set at start, after each append, after an aborted pass). */
  readonly due: boolean;
  markPending(): void;
  /** One unit of work: seal and list, open the next file, or write one batch. */
  step(): Promise<void>;
  /** Abandons the current pass (the files stay for a later one). */
  stop(): void;
}

export interface SpillReplayerOptions {
  dir: string;
  writer: SpillWriter;
  batchSize: number;
  logger: Logger;
  /** Writes rows skipping those already in the table; resolves to how many leading rows are finished. */
  write(rows: Row[]): Promise<number>;
  onBadLines(count: number): void;
}

export function createSpillReplayer(options: SpillReplayerOptions): SpillReplayer {
  const { dir, writer, batchSize, logger } = options;
  let pending = true; // a previous process may have left files behind
  let pass: { files: string[]; file: string | null; reader: SpillReader | null; rows: Row[] | null } | null = null;

  async function step(): Promise<void> {
    if (!pass) {
      pending = false;
      await writer.seal(); // our own file becomes replayable; later spills open a new one
      pass = { files: await listSpillFiles(dir, writer.currentFile), file: null, reader: null, rows: null };
      return;
    }
    if (!pass.rows) {
      if (!pass.reader) {
        pass.file = pass.files.shift() ?? null;
        if (!pass.file) return void (pass = null);
        pass.reader = openSpillReader(pass.file);
      }
      const next = await pass.reader.next(batchSize);
      if (!next) {
        pass.reader.close();
        pass.reader = null;
        await unlink(pass.file!).catch((err) => {
          if ((err as { code?: string }).code !== "ENOENT") throw err;
        });
        logger.info({ file: pass.file }, "usage ledger: spill file replayed");
        return;
      }
      if (next.badLines > 0) {
        logger.error({ dropped: next.badLines, file: pass.file }, "usage ledger: unreadable spill lines dropped");
        options.onBadLines(next.badLines);
      }
      if (next.rows.length === 0) return;
      pass.rows = next.rows;
    }
    const done = await options.write(pass.rows);
    pass.rows = done < pass.rows.length ? pass.rows.slice(done) : null;
  }

  return {
    get due() {
      return pending || pass !== null;
    },
    markPending() {
      pending = true;
    },
    step,
    stop() {
      if (pass) pending = true;
      pass?.reader?.close();
      pass = null;
    },
  };
}
