import { eq, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { studioConnectionSettings } from "../schema.ts";

/** The singleton settings row, when there is one. */
export interface PersistedStudioSettings {
  baseUrl: string | null;
  /** Write-only: never returned by the API. */
  token: string | null;
  updatedAt: Date;
}

/** Absent = unchanged, null = cleared. */
export interface StudioSettingsChanges {
  baseUrl?: string | null;
  token?: string | null;
}

/** The singleton Studio connection row (id 1): read on every Studio call, so changes apply at once. */
export function createStudioSettings(db: Db) {
  return {
    async read(): Promise<PersistedStudioSettings | null> {
      const [row] = await db.select().from(studioConnectionSettings).where(eq(studioConnectionSettings.id, 1));
      return row ? { baseUrl: row.baseUrl, token: row.token, updatedAt: row.updatedAt } : null;
    },

    async write(changes: StudioSettingsChanges): Promise<PersistedStudioSettings> {
      const [row] = await db
        .insert(studioConnectionSettings)
        .values({ id: 1, baseUrl: changes.baseUrl ?? null, token: changes.token ?? null })
        .onConflictDoUpdate({ target: studioConnectionSettings.id, set: { ...changes, updatedAt: sql`now()` } })
        .returning();
      return { baseUrl: row!.baseUrl, token: row!.token, updatedAt: row!.updatedAt };
    },
  };
}
