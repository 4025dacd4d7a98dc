import { loadMigrationFiles } from "./migration-files.ts" with { type: "macro" };
import type { MigrationFile } from "./migration-files.ts";

/** The committed migrations, inlined at bundle time. */
export const MIGRATIONS: MigrationFile[] = loadMigrationFiles();

export interface MigrationSession {
  query(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  exec(text: string): Promise<void>;
}

export interface MigrationTarget {
  /** Runs fn in one transaction; everything rolls back if it throws. */
  transaction<T>(fn: (tx: MigrationSession) => Promise<T>): Promise<T>;
}

// Any constant works; it only has to be the same for every replica of this gateway.
const MIGRATION_LOCK_ID = 7_041_992_001;

/**
 * Applies the migrations not yet recorded, in one transaction, under an advisory lock so that
 * replicas starting together migrate once. Bookkeeping is drizzle's own table
 * (`drizzle.__drizzle_migrations`), so `drizzle-kit migrate` and this agree.
 */
export async function applyMigrations(
  target: MigrationTarget,
  migrations: MigrationFile[] = MIGRATIONS,
): Promise<{ applied: string[] }> {
  return target.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK_ID]);
    await tx.exec(`create schema if not exists "drizzle";
      create table if not exists "drizzle"."__drizzle_migrations" (id serial primary key, hash text not null, created_at bigint)`);
    const rows = await tx.query(
      `select created_at from "drizzle"."__drizzle_migrations" order by created_at desc limit 1`,
    );
    const last = rows[0] ? Number(rows[0].created_at) : -1;
    const applied: string[] = [];
    for (const migration of migrations) {
      if (migration.when <= last) continue;
      for (const statement of migration.statements) await tx.exec(statement);
      await tx.query(`insert into "drizzle"."__drizzle_migrations" (hash, created_at) values ($1, $2)`, [
        migration.hash,
        migration.when,
      ]);
      applied.push(migration.tag);
    }
    return { applied };
  });
}
