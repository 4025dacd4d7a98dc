import { inArray } from "drizzle-orm";
import type { Db } from "../db.ts";
import { serviceRegistrations } from "../schema.ts";

/** The first of `names` with no service registration, or null when all are registered. */
export async function firstUnregisteredService(db: Db, names: readonly string[]): Promise<string | null> {
  if (names.length === 0) return null;
  const rows = await db
    .select({ name: serviceRegistrations.name })
    .from(serviceRegistrations)
    .where(inArray(serviceRegistrations.name, [...names]));
  const known = new Set(rows.map((row) => row.name));
  return names.find((name) => !known.has(name)) ?? null;
}
