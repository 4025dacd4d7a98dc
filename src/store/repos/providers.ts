import { asc, eq, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { providerConfigs } from "../schema.ts";
import { afterCursor, cursorTimestamp, toPage, type Page, type PageRequest } from "./keyset.ts";
import { constraintError, UNIQUE_VIOLATION } from "./pg-errors.ts";

export type ProviderKind = "litellm" | "internal-service";

/** A provider configuration as the API shows it: the credential is write-only. */
export interface ProviderView {
  id: string;
  kind: ProviderKind;
  name: string;
  base_url: string;
  enabled: boolean;
  credential_configured: boolean;
  created_at: string;
  updated_at: string;
}

export interface NewProvider {
  kind: ProviderKind;
  name: string;
  baseUrl: string;
  credential: string | null;
  enabled: boolean;
}

/** Absent = unchanged; `credential: null` clears it. */
export interface ProviderChanges {
  name?: string;
  baseUrl?: string;
  credential?: string | null;
  enabled?: boolean;
}

export type ProviderConflict = "duplicate_name" | "second_enabled_litellm";
export type ProviderWriteOutcome =
  | { ok: true; provider: ProviderView }
  | { ok: false; reason: ProviderConflict | "not_found" };

export interface Providers {
  create(input: NewProvider): Promise<ProviderWriteOutcome>;
  list(page: PageRequest): Promise<Page<ProviderView>>;
  get(id: string): Promise<ProviderView | null>;
  update(id: string, changes: ProviderChanges): Promise<ProviderWriteOutcome>;
  remove(id: string): Promise<boolean>;
}

const viewColumns = {
  id: providerConfigs.id,
  kind: providerConfigs.kind,
  name: providerConfigs.name,
  baseUrl: providerConfigs.baseUrl,
  enabled: providerConfigs.enabled,
  credentialConfigured: sql<boolean>`${providerConfigs.credential} is not null`,
  createdAt: providerConfigs.createdAt,
  updatedAt: providerConfigs.updatedAt,
};

interface ViewRow {
  id: string;
  kind: ProviderKind;
  name: string;
  baseUrl: string;
  enabled: boolean;
  credentialConfigured: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const view = (row: ViewRow): ProviderView => ({
  id: row.id,
  kind: row.kind,
  name: row.name,
  base_url: row.baseUrl,
  enabled: row.enabled,
  credential_configured: row.credentialConfigured,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

// The unique indexes decide atomically; the constraint name says which rule was hit.
async function translated(write: () => Promise<ViewRow | undefined>): Promise<ProviderWriteOutcome> {
  try {
    const row = await write();
    return row ? { ok: true, provider: view(row) } : { ok: false, reason: "not_found" };
  } catch (err) {
    const pg = constraintError(err, [UNIQUE_VIOLATION]);
    if (pg?.constraint === "provider_configs_name_key") return { ok: false, reason: "duplicate_name" };
    if (pg?.constraint === "provider_configs_one_enabled_litellm") return { ok: false, reason: "second_enabled_litellm" };
    throw err;
  }
}

export function createProviders(db: Db): Providers {
  return {
    create: (input) => translated(async () => (await db.insert(providerConfigs).values(input).returning(viewColumns))[0]),

    async list({ limit, after }) {
      const rows = await db
        .select({ ...viewColumns, cursorAt: cursorTimestamp(providerConfigs.createdAt) })
        .from(providerConfigs)
        .where(afterCursor(providerConfigs.createdAt, providerConfigs.id, after))
        .orderBy(asc(providerConfigs.createdAt), asc(providerConfigs.id))
        .limit(limit + 1);
      const page = toPage(rows, limit);
      return { rows: page.rows.map(view), next: page.next };
    },

    async get(id) {
      const [row] = await db.select(viewColumns).from(providerConfigs).where(eq(providerConfigs.id, id));
      return row ? view(row) : null;
    },

    update: (id, changes) =>
      translated(
        async () =>
          (
            await db
              .update(providerConfigs)
              .set({ ...changes, updatedAt: sql`now()` })
              .where(eq(providerConfigs.id, id))
              .returning(viewColumns)
          )[0],
      ),

    async remove(id) {
      const deleted = await db
        .delete(providerConfigs)
        .where(eq(providerConfigs.id, id))
        .returning({ id: providerConfigs.id });
      return deleted.length > 0;
    },
  };
}
