import { asc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { projects, projectServiceLinks } from "../schema.ts";
import { afterCursor, cursorTimestamp, toPage, type Page, type PageRequest } from "./keyset.ts";
import { constraintError, FOREIGN_KEY_VIOLATION, Rejected, RESTRICT_VIOLATION, settle, UNIQUE_VIOLATION } from "./pg-errors.ts";
import { firstUnregisteredService } from "./registered-services.ts";

export interface ProjectView {
  id: string;
  name: string;
  service_names: string[];
  created_at: string;
  updated_at: string;
}

export type ProjectWriteOutcome =
  | { ok: true; project: ProjectView }
  | { ok: false; reason: "duplicate_name" | "not_found" }
  /** service: the first unregistered name, null when it vanished during the write. */
  | { ok: false; reason: "unknown_service"; service: string | null };

export type ProjectDeleteOutcome = "deleted" | "not_found" | "in_use";

export interface ProjectChanges {
  name?: string;
  /** Replaces every link of the project. */
  serviceNames?: string[];
}

export interface Projects {
  create(input: { name: string; serviceNames: string[] }): Promise<ProjectWriteOutcome>;
  list(page: PageRequest): Promise<Page<ProjectView>>;
  get(id: string): Promise<ProjectView | null>;
  update(id: string, changes: ProjectChanges): Promise<ProjectWriteOutcome>;
  remove(id: string): Promise<ProjectDeleteOutcome>;
}

type ProjectRow = typeof projects.$inferSelect;

/** Service links of each project, sorted by name. */
export async function projectLinks(db: Db, projectIds: readonly string[]): Promise<Map<string, string[]>> {
  const links = new Map<string, string[]>(projectIds.map((id) => [id, []]));
  if (projectIds.length === 0) return links;
  const rows = await db
    .select({ projectId: projectServiceLinks.projectId, name: projectServiceLinks.serviceName })
    .from(projectServiceLinks)
    .where(inArray(projectServiceLinks.projectId, [...projectIds]))
    .orderBy(asc(projectServiceLinks.serviceName));
  for (const row of rows) links.get(row.projectId)?.push(row.name);
  return links;
}

const view = (row: ProjectRow, serviceNames: string[]): ProjectView => ({
  id: row.id,
  name: row.name,
  service_names: serviceNames,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

async function replaceLinks(tx: Db, projectId: string, serviceNames: string[]): Promise<void> {
  const unknown = await firstUnregisteredService(tx, serviceNames);
  if (unknown) throw new Rejected<ProjectWriteOutcome>({ ok: false, reason: "unknown_service", service: unknown });
  await tx.delete(projectServiceLinks).where(eq(projectServiceLinks.projectId, projectId));
  if (serviceNames.length === 0) return;
  await tx.insert(projectServiceLinks).values(serviceNames.map((serviceName) => ({ projectId, serviceName })));
}

// A race the pre-check cannot see: the name was taken, or a service was deleted, meanwhile.
function translateWrite(err: unknown): ProjectWriteOutcome | null {
  const pg = constraintError(err, [UNIQUE_VIOLATION, FOREIGN_KEY_VIOLATION]);
  if (pg?.constraint === "projects_name_key") return { ok: false, reason: "duplicate_name" };
  if (pg?.code === FOREIGN_KEY_VIOLATION && pg.constraint?.includes("service_name")) {
    return { ok: false, reason: "unknown_service", service: null };
  }
  return null;
}

export function createProjects(db: Db): Projects {
  const get = async (id: string) => {
    const [row] = await db.select().from(projects).where(eq(projects.id, id));
    return row ? view(row, (await projectLinks(db, [id])).get(id)!) : null;
  };

  return {
    create: ({ name, serviceNames }) =>
      settle(async () => {
        const row = await db.transaction(async (tx) => {
          const [created] = await tx.insert(projects).values({ name }).returning();
          await replaceLinks(tx, created!.id, serviceNames);
          return created!;
        });
        return { ok: true, project: view(row, [...serviceNames].sort()) } as const;
      }, translateWrite),

    async list({ limit, after }) {
      const rows = await db
        .select({ row: projects, id: projects.id, cursorAt: cursorTimestamp(projects.createdAt) })
        .from(projects)
        .where(afterCursor(projects.createdAt, projects.id, after))
        .orderBy(asc(projects.createdAt), asc(projects.id))
        .limit(limit + 1);
      const page = toPage(rows, limit);
      const links = await projectLinks(db, page.rows.map((r) => r.id));
      return { rows: page.rows.map((r) => view(r.row, links.get(r.id)!)), next: page.next };
    },

    get,

    update: (id, changes) =>
      settle(async () => {
        const found = await db.transaction(async (tx) => {
          const [row] = await tx
            .update(projects)
            .set({ ...(changes.name === undefined ? {} : { name: changes.name }), updatedAt: sql`now()` })
            .where(eq(projects.id, id))
            .returning({ id: projects.id });
          if (row && changes.serviceNames) await replaceLinks(tx, id, changes.serviceNames);
          return row !== undefined;
        });
        const project = found ? await get(id) : null;
        return project ? ({ ok: true, project } as const) : ({ ok: false, reason: "not_found" } as const);
      }, translateWrite),

    async remove(id) {
      try {
        const deleted = await db.delete(projects).where(eq(projects.id, id)).returning({ id: projects.id });
        return deleted.length > 0 ? "deleted" : "not_found";
      } catch (err) {
        // api_keys and service_registrations reference projects ON DELETE RESTRICT: the
        // database decides atomically, no check-then-delete race.
        if (constraintError(err, [FOREIGN_KEY_VIOLATION, RESTRICT_VIOLATION])) return "in_use";
        throw err;
      }
    },
  };
}
