import { normalizeStudioCatalog, type CatalogEntry } from "../../core/service-catalog.ts";
import { GatewayError } from "../../http/errors.ts";
import type { Db } from "../../store/db.ts";
import { createStudioSettings } from "../../store/repos/studio-connection.ts";
import { fetchStudioCatalog } from "../../studio/catalog-client.ts";
import { resolveStudioConnection, type StudioConnection, type StudioEnv } from "../../studio/connection.ts";

export interface StudioDeps {
  db: Db;
  /** RELAYNA_STUDIO_BASE_URL / RELAYNA_STUDIO_TOKEN: the fallback under the persisted settings. */
  studioEnv: StudioEnv;
  /** Tests only: the catalog deadline (default 8 s). */
  studioTimeoutMs?: number;
}

/** The effective connection, read on every call: a change applies to the next request. */
export async function studioConnection({ db, studioEnv }: StudioDeps): Promise<StudioConnection> {
  return resolveStudioConnection(await createStudioSettings(db).read(), studioEnv);
}

/** Studio's catalog as import candidates; 409 when no Studio is configured, 502 when it fails. */
export async function loadStudioCatalog(deps: StudioDeps): Promise<CatalogEntry[]> {
  const { baseUrl, token } = await studioConnection(deps);
  if (baseUrl === null) {
    throw new GatewayError("studio_not_configured", {
      message:
        "No Relayna Studio base URL is configured: set it with PATCH /admin/studio/connection or RELAYNA_STUDIO_BASE_URL.",
    });
  }
  const result = await fetchStudioCatalog({ baseUrl, token }, { timeoutMs: deps.studioTimeoutMs });
  if (!result.ok) throw new GatewayError("studio_unavailable", { message: result.message });
  return normalizeStudioCatalog(result.rows);
}
