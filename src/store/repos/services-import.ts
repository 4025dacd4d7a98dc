import { eq, sql } from "drizzle-orm";
import type { ImportableEntry } from "../../core/service-catalog.ts";
import { indexRegistry, mergeStudioSeeded, sameSeeded, type RegistryIndex } from "../../core/service-import.ts";
import { newServiceSettings } from "../../core/service-settings.ts";
import type { Db } from "../db.ts";
import { serviceRegistrations } from "../schema.ts";
import { settle } from "./pg-errors.ts";
import { settingsColumns, translateServiceWrite } from "./services.ts";
import { metadataOf, settingsOf } from "./services-view.ts";

export type ImportOutcome =
  { status: "created" | "updated" | "unchanged"; name: string } | { status: "invalid"; name: string; errors: string[] };

const RACE_MESSAGES = {
  name: "a service with this name was registered meanwhile; import again",
  route_pattern: "its route pattern was taken by another service meanwhile; import again",
  studio_service_id: "it was imported concurrently; import again",
};

/** Studio catalog rows into the registry (contract 7; ownership rules in core/service-import.ts). */
export function createServiceImports(db: Db) {
  return {
    /** Names, Studio ids and routes of every registration: import planning and the preview. */
    async index(): Promise<RegistryIndex> {
      const rows = await db
        .select({
          name: serviceRegistrations.name,
          studioServiceId: serviceRegistrations.studioServiceId,
          routePattern: serviceRegistrations.routePattern,
        })
        .from(serviceRegistrations);
      return indexRegistry(rows);
    },

    /** Creates or re-syncs the registration of `entry`, found by its Studio id. */
    importEntry: (entry: ImportableEntry): Promise<ImportOutcome> =>
      settle(
        () =>
          db.transaction(async (tx) => {
            const [current] = await tx
              .select()
              .from(serviceRegistrations)
              .where(eq(serviceRegistrations.studioServiceId, entry.studioServiceId))
              .for("update");
            if (!current) {
              const settings = newServiceSettings(entry.name, {
                displayName: entry.displayName,
                studioServiceId: entry.studioServiceId,
                routePattern: entry.routePattern,
                upstreamBaseUrl: entry.upstreamBaseUrl,
                allowedMethods: entry.allowedMethods,
                costMode: entry.costMode,
                estimatedCostUsd: entry.estimatedCostUsd,
              });
              await tx
                .insert(serviceRegistrations)
                .values({
                  ...settingsColumns(settings, "studio"),
                  studioMetadata: { ...entry.metadata },
                  lastSyncedAt: sql`now()`,
                });
              return { name: entry.name, status: "created" } as const;
            }
            const before = { ...settingsOf(current), studioMetadata: metadataOf(current) };
            const seeded = mergeStudioSeeded(before, entry);
            // The upstream only ever changes to another URL here, so an enabled service stays routable.
            const columns = settingsColumns({ ...settingsOf(current), ...seeded }, "studio");
            const changed =
              !sameSeeded(before, seeded) || current.source !== "studio" || current.syncStatus !== columns.syncStatus;
            await tx
              .update(serviceRegistrations)
              .set({
                displayName: seeded.displayName,
                upstreamBaseUrl: seeded.upstreamBaseUrl,
                allowedMethods: seeded.allowedMethods,
                studioMetadata: { ...entry.metadata },
                source: "studio",
                syncStatus: columns.syncStatus,
                missingRuntimeFields: columns.missingRuntimeFields,
                lastSyncedAt: sql`now()`,
                ...(changed && { updatedAt: sql`now()` }),
              })
              .where(eq(serviceRegistrations.name, current.name));
            return { name: current.name, status: changed ? "updated" : "unchanged" } as const;
          }),
        (err): ImportOutcome | null => {
          const outcome = translateServiceWrite(err);
          if (outcome?.ok !== false || outcome.reason !== "duplicate") return null;
          return { name: entry.name, status: "invalid", errors: [RACE_MESSAGES[outcome.field]] };
        },
      ),
  };
}
