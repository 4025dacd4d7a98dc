import { Hono } from "hono";
import { isImportable } from "../../core/service-catalog.ts";
import { importConflict } from "../../core/service-import.ts";
import type { AppEnv } from "../../http/app-env.ts";
import { readJsonBody } from "../../http/validation.ts";
import { createServiceImports } from "../../store/repos/services-import.ts";
import { createStudioSettings, type StudioSettingsChanges } from "../../store/repos/studio-connection.ts";
import { displayUrl, type StudioConnection } from "../../studio/connection.ts";
import { loadStudioCatalog, studioConnection, type StudioDeps } from "./studio-catalog.ts";
import { updateStudioConnectionBody } from "./studio-schemas.ts";

const connectionView = (connection: StudioConnection) => ({
  base_url: displayUrl(connection.baseUrl),
  token_configured: connection.token !== null,
  source: connection.source,
  updated_at: connection.updatedAt?.toISOString() ?? null,
});

/** `/admin/studio` (contract 7): the connection, its test, and the catalog preview. */
export function createStudioRoutes(deps: StudioDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const settings = createStudioSettings(deps.db);
  const imports = createServiceImports(deps.db);

  app.get("/connection", async (c) => c.json(connectionView(await studioConnection(deps))));

  app.patch("/connection", async (c) => {
    const body = await readJsonBody(c, updateStudioConnectionBody, "invalid_studio_connection_payload");
    const changes: StudioSettingsChanges = {};
    if (body.base_url !== undefined) changes.baseUrl = body.base_url;
    if (body.token !== undefined) changes.token = body.token;
    // Back to the environment means its URL and token: no persisted token lingers unused.
    if (body.base_url === null && body.token === undefined) changes.token = null;
    await settings.write(changes);
    return c.json(connectionView(await studioConnection(deps)));
  });

  app.post("/connection/test", async (c) => {
    const entries = await loadStudioCatalog(deps);
    return c.json({ ok: true, service_count: entries.length });
  });

  app.get("/services", async (c) => {
    const [entries, index] = await Promise.all([loadStudioCatalog(deps), imports.index()]);
    const data = entries.map((entry) => {
      const conflict = isImportable(entry) ? importConflict(entry, index) : null;
      const errors = conflict ? [...entry.errors, conflict] : entry.errors;
      const valid = isImportable(entry) && conflict === null;
      // A re-import keeps the registration's name and route: show those.
      const registered = entry.studioServiceId === null ? undefined : index.byStudioId.get(entry.studioServiceId);
      return {
        studio_service_id: entry.studioServiceId,
        name: registered?.name ?? entry.name,
        display_name: entry.displayName,
        route_pattern: registered?.routePattern ?? entry.routePattern,
        upstream_base_url: entry.upstreamBaseUrl,
        allowed_methods: entry.allowedMethods,
        cost_mode: entry.costMode,
        estimated_cost_usd: entry.estimatedCostUsd,
        studio_metadata: entry.metadata,
        valid,
        errors,
        already_imported: registered !== undefined,
        // The body of POST /admin/services/import that imports this row.
        import_request: valid ? { studio_service_ids: [entry.studioServiceId] } : null,
      };
    });
    return c.json({ data, next_cursor: null });
  });

  return app;
}
