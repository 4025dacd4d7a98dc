import { asc, eq, gt, inArray, sql } from "drizzle-orm";
import {
  applyServicePatch,
  missingRuntimeFields,
  settingsProblem,
  syncStatusOf,
  type ServicePatch,
  type ServiceSettings,
  type ServiceSource,
} from "../../core/service-settings.ts";
import type { Db } from "../db.ts";
import { serviceRegistrations } from "../schema.ts";
import { constraintError, FOREIGN_KEY_VIOLATION, Rejected, settle, UNIQUE_VIOLATION } from "./pg-errors.ts";
import { serviceView, settingsOf, type ServiceRow, type ServiceView } from "./services-view.ts";

export type { ServiceView } from "./services-view.ts";

export type ServiceWriteOutcome =
  | { ok: true; service: ServiceView }
  | { ok: false; reason: "not_found" | "missing_project" }
  | { ok: false; reason: "duplicate"; field: "name" | "route_pattern" | "studio_service_id" }
  /** service: the first unregistered fallback, null when it vanished during the write. */
  | { ok: false; reason: "unknown_fallback"; service: string | null }
  | { ok: false; reason: "invalid"; field: string; message: string }
  | { ok: false; reason: "incomplete"; missing: string[] };

export interface ServicePage {
  rows: ServiceView[];
  /** The last name of this page when another follows. */
  next: string | null;
}

export interface Services {
  create(settings: ServiceSettings): Promise<ServiceWriteOutcome>;
  list(page: { limit: number; after: string | null }): Promise<ServicePage>;
  get(name: string): Promise<ServiceView | null>;
  update(name: string, patch: ServicePatch): Promise<ServiceWriteOutcome>;
  /** Deletes the service, its links (cascade) and its place in other services' fallbacks. */
  remove(name: string): Promise<boolean>;
}

const DUPLICATES = {
  service_registrations_pkey: "name",
  service_registrations_route_pattern_key: "route_pattern",
  service_registrations_studio_service_id_key: "studio_service_id",
} as const;

// The unique indexes decide atomically; the constraint name says which rule was hit.
export function translateServiceWrite(err: unknown): ServiceWriteOutcome | null {
  const pg = constraintError(err, [UNIQUE_VIOLATION, FOREIGN_KEY_VIOLATION]);
  const field = DUPLICATES[(pg?.constraint ?? "") as keyof typeof DUPLICATES];
  if (pg?.code === UNIQUE_VIOLATION && field) return { ok: false, reason: "duplicate", field };
  if (pg?.code === FOREIGN_KEY_VIOLATION && pg.constraint?.includes("project_id"))
    return { ok: false, reason: "missing_project" };
  return null;
}

/** The stored columns of `settings`, with what every write derives from them. */
export function settingsColumns(settings: ServiceSettings, source: ServiceSource) {
  const missing = missingRuntimeFields(settings);
  return { ...settings, source, syncStatus: syncStatusOf(source, missing), missingRuntimeFields: missing };
}

/** Rejects the write (rolling back its transaction) when `settings` break a rule. */
async function checkSettings(tx: Db, settings: ServiceSettings): Promise<void> {
  const problem = settingsProblem(settings);
  if (problem?.kind === "invalid") {
    throw new Rejected<ServiceWriteOutcome>({ ok: false, reason: "invalid", ...problem });
  }
  if (problem?.kind === "incomplete") {
    throw new Rejected<ServiceWriteOutcome>({ ok: false, reason: "incomplete", missing: problem.missing });
  }
  const fallbacks = settings.fallbackServices;
  if (fallbacks.length === 0) return;
  // FOR SHARE: a fallback cannot be deleted (and so left dangling here) before this commits.
  const rows = await tx
    .select({ name: serviceRegistrations.name })
    .from(serviceRegistrations)
    .where(inArray(serviceRegistrations.name, fallbacks))
    .for("share");
  const known = new Set(rows.map((row) => row.name));
  const unknown = fallbacks.find((name) => !known.has(name));
  if (unknown) throw new Rejected<ServiceWriteOutcome>({ ok: false, reason: "unknown_fallback", service: unknown });
}

const written = (row: ServiceRow | undefined): ServiceWriteOutcome =>
  row ? { ok: true, service: serviceView(row) } : { ok: false, reason: "not_found" };

export function createServices(db: Db): Services {
  return {
    create: (settings) =>
      settle(
        () =>
          db.transaction(async (tx) => {
            await checkSettings(tx, settings);
            return written(
              (await tx.insert(serviceRegistrations).values(settingsColumns(settings, "gateway")).returning())[0],
            );
          }),
        translateServiceWrite,
      ),

    async list({ limit, after }) {
      const rows = await db
        .select()
        .from(serviceRegistrations)
        .where(after === null ? undefined : gt(serviceRegistrations.name, after))
        .orderBy(asc(serviceRegistrations.name))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      return { rows: page.map(serviceView), next: rows.length > limit ? page[page.length - 1]!.name : null };
    },

    async get(name) {
      const [row] = await db.select().from(serviceRegistrations).where(eq(serviceRegistrations.name, name));
      return row ? serviceView(row) : null;
    },

    update: (name, patch) =>
      settle(
        () =>
          db.transaction(async (tx) => {
            const [current] = await tx
              .select()
              .from(serviceRegistrations)
              .where(eq(serviceRegistrations.name, name))
              .for("update");
            if (!current) return written(undefined);
            const next = applyServicePatch(settingsOf(current), patch);
            await checkSettings(tx, next);
            // Unlinked from Studio: a local service from now on.
            const detached = current.source === "studio" && next.studioServiceId === null;
            const source = detached ? "gateway" : current.source;
            const [row] = await tx
              .update(serviceRegistrations)
              .set({ ...settingsColumns(next, source), ...(detached && { lastSyncedAt: null }), updatedAt: sql`now()` })
              .where(eq(serviceRegistrations.name, name))
              .returning();
            return written(row);
          }),
        translateServiceWrite,
      ),

    remove: (name) =>
      db.transaction(async (tx) => {
        const deleted = await tx
          .delete(serviceRegistrations)
          .where(eq(serviceRegistrations.name, name))
          .returning({ name: serviceRegistrations.name });
        if (deleted.length === 0) return false;
        await tx
          .update(serviceRegistrations)
          .set({
            fallbackServices: sql`array_remove(${serviceRegistrations.fallbackServices}, ${name})`,
            updatedAt: sql`now()`,
          })
          .where(sql`${name} = any(${serviceRegistrations.fallbackServices})`);
        return true;
      }),
  };
}
