import { eq, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { openaiRouteSettings } from "../schema.ts";

export interface OpenaiRouteView {
  route_id: string;
  path: string;
  enabled: boolean;
  updated_at: string;
}

export interface OpenaiRoutes {
  list(): Promise<OpenaiRouteView[]>;
  /** null when no such route id (the migration seeds the three AI routes). */
  setEnabled(routeId: string, enabled: boolean): Promise<OpenaiRouteView | null>;
}

// Contract order, not alphabetical (a CHECK constraint allows exactly these ids).
const ORDER = ["chat-completions", "responses", "embeddings"];

const view = (row: typeof openaiRouteSettings.$inferSelect): OpenaiRouteView => ({
  route_id: row.routeId,
  path: row.path,
  enabled: row.enabled,
  updated_at: row.updatedAt.toISOString(),
});

export function createOpenaiRoutes(db: Db): OpenaiRoutes {
  return {
    async list() {
      const rows = await db.select().from(openaiRouteSettings);
      return rows.sort((a, b) => ORDER.indexOf(a.routeId) - ORDER.indexOf(b.routeId)).map(view);
    },
    async setEnabled(routeId, enabled) {
      const [row] = await db
        .update(openaiRouteSettings)
        .set({ enabled, updatedAt: sql`now()` })
        .where(eq(openaiRouteSettings.routeId, routeId))
        .returning();
      return row ? view(row) : null;
    },
  };
}
