import { Hono, type Context } from "hono";
import { isServiceName } from "../../core/service-names.ts";
import { newServiceSettings, type ServicePatch } from "../../core/service-settings.ts";
import { HTTP_BASE_URL_RULE, isHttpBaseUrl } from "../../core/service-urls.ts";
import type { AppEnv } from "../../http/app-env.ts";
import { GatewayError } from "../../http/errors.ts";
import { readJsonBody, readQuery } from "../../http/validation.ts";
import type { Invalidate } from "../../store/cache/invalidation.ts";
import type { Db } from "../../store/db.ts";
import { createServices, type ServiceWriteOutcome } from "../../store/repos/services.ts";
import { invalidField } from "./common-schemas.ts";
import { DEFAULT_PAGE_LIMIT } from "./pagination.ts";
import {
  createServiceBody,
  encodeNameCursor,
  listServicesQuery,
  updateServiceBody,
  type ServiceFields,
} from "./services-schemas.ts";

export interface ServiceRouteDeps {
  db: Db;
  invalidate: Invalidate;
}

const CODE = "invalid_service_payload";

function serviceOf(outcome: ServiceWriteOutcome) {
  if (outcome.ok) return outcome.service;
  switch (outcome.reason) {
    case "not_found":
      throw new GatewayError("missing_service");
    case "missing_project":
      throw new GatewayError("missing_project", { message: "Invalid field `project_id`: no such project." });
    case "duplicate":
      throw new GatewayError("duplicate_service", {
        message: `A service with this ${outcome.field.replaceAll("_", " ")} already exists (field \`${outcome.field}\`).`,
      });
    case "unknown_fallback":
      throw invalidField(
        CODE,
        "fallback_services",
        outcome.service ? `service "${outcome.service}" is not registered` : "a listed service is not registered",
      );
    case "invalid":
      throw invalidField(CODE, outcome.field, outcome.message);
    case "incomplete":
      throw new GatewayError("incomplete_service", {
        message: `An enabled service must be routable, and this one is missing ${outcome.missing.join(" and ")}: set ${outcome.missing.length > 1 ? "them" : "it"} first (or keep the service disabled).`,
      });
  }
}

/** The body's fields as a patch; a malformed upstream URL has its own error code. */
function patchOf(body: ServiceFields): ServicePatch {
  const upstream = body.upstream_base_url;
  if (upstream !== undefined && upstream !== null && !isHttpBaseUrl(upstream)) {
    throw new GatewayError("invalid_service_upstream", {
      message: `Invalid field \`upstream_base_url\`: ${HTTP_BASE_URL_RULE}.`,
    });
  }
  return {
    displayName: body.display_name,
    projectId: body.project_id,
    studioServiceId: body.studio_service_id,
    routePattern: body.route_pattern,
    upstreamBaseUrl: upstream,
    enabled: body.enabled,
    allowedMethods: body.allowed_methods,
    credential: body.credential,
    timeoutMs: body.timeout_ms,
    maxBodyBytes: body.max_body_bytes,
    costMode: body.cost_mode,
    estimatedCostUsd: body.estimated_cost_usd,
    fallbackServices: body.fallback_services,
  };
}

/** Names that are not service names name nothing: a 404, like an unknown one. */
function pathName(c: Context): string {
  const name = c.req.param("name") ?? "";
  if (!isServiceName(name)) throw new GatewayError("missing_service");
  return name;
}

/** `/admin/services` (contracts 6, 7). Credentials are write-only: `credential_configured` tells. */
export function createServiceRoutes({ db, invalidate }: ServiceRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const services = createServices(db);
  const changed = () => invalidate({ kind: "services" });

  app.post("/", async (c) => {
    const body = await readJsonBody(c, createServiceBody, CODE);
    const service = serviceOf(await services.create(newServiceSettings(body.name, patchOf(body))));
    changed();
    return c.json(service, 201);
  });

  app.get("/", async (c) => {
    const query = readQuery(c, listServicesQuery);
    const page = await services.list({ limit: query.limit ?? DEFAULT_PAGE_LIMIT, after: query.cursor ?? null });
    return c.json({ data: page.rows, next_cursor: page.next === null ? null : encodeNameCursor(page.next) });
  });

  app.get("/:name", async (c) => {
    const service = await services.get(pathName(c));
    if (!service) throw new GatewayError("missing_service");
    return c.json(service);
  });

  app.get("/:name/sync-status", async (c) => {
    const service = await services.get(pathName(c));
    if (!service) throw new GatewayError("missing_service");
    const { name, source, sync_status, last_synced_at, missing_runtime_fields, studio_service_id } = service;
    return c.json({ name, source, sync_status, last_synced_at, missing_runtime_fields, studio_service_id });
  });

  app.patch("/:name", async (c) => {
    const name = pathName(c);
    const body = await readJsonBody(c, updateServiceBody, CODE);
    const service = serviceOf(await services.update(name, patchOf(body)));
    changed();
    return c.json(service);
  });

  app.delete("/:name", async (c) => {
    if (!(await services.remove(pathName(c)))) throw new GatewayError("missing_service");
    changed();
    return c.body(null, 204);
  });

  for (const [action, enabled] of [["enable", true], ["disable", false]] as const) {
    app.post(`/:name/${action}`, async (c) => {
      const service = serviceOf(await services.update(pathName(c), { enabled }));
      changed();
      return c.json(service);
    });
  }

  return app;
}
