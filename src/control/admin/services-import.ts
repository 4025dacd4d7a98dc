import { Hono } from "hono";
import { isImportable, type CatalogEntry } from "../../core/service-catalog.ts";
import { importConflict } from "../../core/service-import.ts";
import type { AppEnv } from "../../http/app-env.ts";
import { readJsonBody } from "../../http/validation.ts";
import type { Invalidate } from "../../store/cache/invalidation.ts";
import { createServiceImports, type ImportOutcome } from "../../store/repos/services-import.ts";
import { importBody } from "./services-schemas.ts";
import { loadStudioCatalog, type StudioDeps } from "./studio-catalog.ts";

interface ImportResult {
  studio_service_id: string | null;
  name: string | null;
  status: ImportOutcome["status"];
  errors?: string[];
}

const invalid = (entry: Pick<CatalogEntry, "studioServiceId" | "name">, errors: string[]): ImportResult => ({
  studio_service_id: entry.studioServiceId,
  name: entry.name,
  status: "invalid",
  errors,
});

/**
 * `POST /admin/services/import` (contract 7): `{"studio_service_ids": [...]}` or `{"all": true}`.
 * Row by row: one bad or conflicting row is reported, the others are imported.
 */
export function createServiceImportRoutes(deps: StudioDeps & { invalidate: Invalidate }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const imports = createServiceImports(deps.db);

  app.post("/", async (c) => {
    const body = await readJsonBody(c, importBody, "invalid_service_payload");
    const catalog = await loadStudioCatalog(deps);
    const wanted = body.studio_service_ids;
    const chosen = wanted
      ? catalog.filter((e) => e.studioServiceId !== null && wanted.includes(e.studioServiceId))
      : catalog;
    const index = await imports.index();
    const results: ImportResult[] = [];
    for (const entry of chosen) {
      if (!isImportable(entry)) {
        results.push(invalid(entry, entry.errors));
        continue;
      }
      const conflict = importConflict(entry, index);
      if (conflict) {
        results.push(invalid(entry, [conflict]));
        continue;
      }
      const outcome = await imports.importEntry(entry);
      results.push({ studio_service_id: entry.studioServiceId, ...outcome });
      if (outcome.status === "created") {
        // Later rows of this batch must see the new name and route.
        const created = { name: entry.name, studioServiceId: entry.studioServiceId, routePattern: entry.routePattern };
        index.byStudioId.set(created.studioServiceId, created);
        index.byName.set(created.name, created);
        index.byRoute.set(created.routePattern, created);
      }
    }
    const found = new Set(chosen.map((e) => e.studioServiceId));
    for (const id of wanted ?? []) {
      if (!found.has(id)) results.push(invalid({ studioServiceId: id, name: null }, ["not in the Studio catalog"]));
    }
    if (results.some((r) => r.status === "created" || r.status === "updated")) deps.invalidate({ kind: "services" });
    return c.json({ results });
  });

  return app;
}
