import { asc, eq, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { modelPrices } from "../schema.ts";

export interface ModelPriceView {
  model: string;
  input_usd_per_million: number;
  output_usd_per_million: number;
  created_at: string;
  updated_at: string;
}

const view = (row: typeof modelPrices.$inferSelect): ModelPriceView => ({
  model: row.model,
  input_usd_per_million: row.inputUsdPerMillion,
  output_usd_per_million: row.outputUsdPerMillion,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

export function createModelPrices(db: Db) {
  return {
    async list(): Promise<ModelPriceView[]> {
      return (await db.select().from(modelPrices).orderBy(asc(modelPrices.model))).map(view);
    },
    /** Insert or replace; `created` tells which. */
    async upsert(model: string, input: number, output: number): Promise<{ price: ModelPriceView; created: boolean }> {
      const [row] = await db
        .insert(modelPrices)
        .values({ model, inputUsdPerMillion: input, outputUsdPerMillion: output })
        .onConflictDoUpdate({
          target: modelPrices.model,
          set: { inputUsdPerMillion: input, outputUsdPerMillion: output, updatedAt: sql`now()` },
        })
        .returning({
          model: modelPrices.model,
          inputUsdPerMillion: modelPrices.inputUsdPerMillion,
          outputUsdPerMillion: modelPrices.outputUsdPerMillion,
          createdAt: modelPrices.createdAt,
          updatedAt: modelPrices.updatedAt,
          // xmax is 0 for a freshly inserted row, set for one the conflict updated.
          inserted: sql<boolean>`(xmax = 0)`,
        });
      const { inserted, ...price } = row!;
      return { price: view(price), created: inserted };
    },
    async remove(model: string): Promise<boolean> {
      return (await db.delete(modelPrices).where(eq(modelPrices.model, model)).returning()).length > 0;
    },
  };
}
