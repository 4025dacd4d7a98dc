import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import type { Logger } from "drizzle-orm/logger";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { copyIn, copyText } from "./copy-in.ts";
import { applyMigrations, type MigrationTarget } from "./migrations/migrate.ts";
import { loadPgliteAssets } from "./pglite-assets.ts";
import * as schema from "./schema.ts";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface ColumnSpec {
  name: string;
  /** SQL type the text values are cast to (PGlite's unnest insert; COPY parses them as the column's type). */
  type: string;
}

/**
 * The statement of insertColumns: every parameter a text[] unnested side by side, each value
 * cast to its column's type in the select list (so array columns take array literals).
 */
function unnestInsert(table: string, columns: readonly ColumnSpec[]): string {
  const names = columns.map((c) => c.name).join(", ");
  const casts = columns.map((c, i) => `u.c${i}::${c.type}`).join(", ");
  const arrays = columns.map((_, i) => `$${i + 1}::text[]`).join(", ");
  const aliases = columns.map((_, i) => `c${i}`).join(", ");
  return `insert into ${table} (${names}) select ${casts} from unnest(${arrays}) as u(${aliases})`;
}

/**
 * A value as the text PostgreSQL parses for its column (insertColumns): dates as ISO (an invalid
 * one becomes now), arrays as `{"…"}` literals, plain objects as JSON, null as NULL.
 */
export function columnText(value: unknown): string | null {
  if (typeof value === "string") return value; // the common case first
  if (value === null || value === undefined) return null;
  if (typeof value !== "object") return String(value);
  if (value instanceof Date) return (Number.isNaN(value.getTime()) ? new Date() : value).toISOString();
  if (Array.isArray(value)) return `{${value.map((item) => `"${String(item).replace(/["\\]/g, "\\$&")}"`).join(",")}}`;
  return JSON.stringify(value);
}

export interface Database {
  readonly kind: "postgres" | "pglite";
  readonly db: Db;
  /** Queries issued through drizzle since start: tests use it to prove a path issues none. */
  readonly stats: { queries: number };
  migrate(): Promise<{ applied: string[] }>;
  /**
   * Appends rows given column by column (values[column][row], null = NULL), each value the text
   * its column's type parses (columnText). PostgreSQL: one `COPY … FROM STDIN` (its backend
   * spends ~35% less CPU per usage row than on an `insert … select … from unnest($1::text[], …)`,
   * measured at 64-2048 rows per call); PGlite: that unnest insert. Either way a value the column
   * refuses fails the whole call with its SQLSTATE (the usage ledger isolates it). Counted in
   * `stats.queries`.
   */
  insertColumns(table: string, columns: readonly ColumnSpec[], values: (string | null)[][]): Promise<void>;
  /** Rejects within timeoutMs when the database cannot answer. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

function countingLogger(stats: { queries: number }): Logger {
  return { logQuery: () => void stats.queries++ };
}

export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface PostgresOptions {
  /** Connection pool size (default 10). */
  max?: number;
}

export function connectPostgres(url: string, options: PostgresOptions = {}): Database {
  const client = postgres(url, {
    max: options.max ?? 10,
    idle_timeout: 30,
    connect_timeout: 5,
    // Migrations emit "already exists, skipping" notices; they are noise, not news.
    onnotice: () => {},
    connection: { application_name: "relayna-gateway" },
  });
  const stats = { queries: 0 };
  let ended = false;
  const db = drizzlePostgres(client, { schema, logger: countingLogger(stats) }) as unknown as Db;
  const target: MigrationTarget = {
    transaction: (fn) =>
      client.begin((tx) =>
        fn({
          query: async (text, params = []) => [...(await tx.unsafe(text, params as postgres.ParameterOrJSON<never>[]))],
          exec: async (text) => void (await tx.unsafe(text)),
        }),
      ) as Promise<never>,
  };
  return {
    kind: "postgres",
    db,
    stats,
    migrate: () => applyMigrations(target),
    async insertColumns(table, columns, values) {
      stats.queries++;
      // After end() the driver refuses queries, but reserve() would open a new connection.
      if (ended) throw Object.assign(new Error("database closed"), { code: "CONNECTION_ENDED" });
      await copyIn(client, `copy ${table} (${columns.map((c) => c.name).join(", ")}) from stdin`, copyText(values));
    },
    ping: async (timeoutMs) => void (await withTimeout(client`select 1`.execute(), timeoutMs, "postgres ping")),
    close: () => ((ended = true), client.end({ timeout: 5 })),
  };
}

/** Embedded PostgreSQL (PGlite) persisted under dataDir; `memory://` keeps it in memory. */
export async function openPglite(dataDir: string): Promise<Database> {
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir, await loadPgliteAssets());
  const stats = { queries: 0 };
  const db = drizzlePglite(client, { schema, logger: countingLogger(stats) }) as unknown as Db;
  const target: MigrationTarget = {
    transaction: (fn) =>
      client.transaction((tx) =>
        fn({
          query: async (text, params) => (await tx.query<Record<string, unknown>>(text, params)).rows,
          exec: async (text) => void (await tx.exec(text)),
        }),
      ),
  };
  return {
    kind: "pglite",
    db,
    stats,
    migrate: () => applyMigrations(target),
    async insertColumns(table, columns, values) {
      stats.queries++;
      await client.query(unnestInsert(table, columns), values);
    },
    ping: async (timeoutMs) => void (await withTimeout(client.query("select 1"), timeoutMs, "pglite ping")),
    close: () => client.close(),
  };
}
