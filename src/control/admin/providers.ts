import { Hono } from "hono";
import type { AppEnv } from "../../http/app-env.ts";
import { GatewayError } from "../../http/errors.ts";
import { readJsonBody, readQuery } from "../../http/validation.ts";
import type { Invalidate } from "../../store/cache/invalidation.ts";
import type { Db } from "../../store/db.ts";
import { createProviders, type ProviderWriteOutcome } from "../../store/repos/providers.ts";
import { pathId } from "./common-schemas.ts";
import { pageRequest, renderPage } from "./pagination.ts";
import { createProviderBody, listProvidersQuery, updateProviderBody } from "./provider-schemas.ts";

export interface ProviderRouteDeps {
  db: Db;
  invalidate: Invalidate;
}

const CODE = "invalid_provider_config_payload";

function providerOf(outcome: ProviderWriteOutcome) {
  if (outcome.ok) return outcome.provider;
  switch (outcome.reason) {
    case "not_found":
      throw new GatewayError("missing_provider_config");
    case "duplicate_name":
      throw new GatewayError("duplicate_provider_config", {
        message: "A provider configuration with this name already exists.",
      });
    case "second_enabled_litellm":
      throw new GatewayError("duplicate_provider_config", {
        message: "Another litellm provider is already enabled; at most one may be enabled at a time.",
      });
  }
}

/** `/admin/providers` (contract 6). Credentials are write-only: `credential_configured` tells. */
export function createProviderRoutes({ db, invalidate }: ProviderRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const providers = createProviders(db);

  app.post("/", async (c) => {
    const body = await readJsonBody(c, createProviderBody, CODE);
    const provider = providerOf(
      await providers.create({
        kind: body.kind,
        name: body.name,
        baseUrl: body.base_url,
        credential: body.credential ?? null,
        enabled: body.enabled,
      }),
    );
    invalidate({ kind: "providers" });
    return c.json(provider, 201);
  });

  app.get("/", async (c) => renderPage(c, await providers.list(pageRequest(readQuery(c, listProvidersQuery)))));

  app.get("/:id", async (c) => {
    const provider = await providers.get(pathId(c, "missing_provider_config"));
    if (!provider) throw new GatewayError("missing_provider_config");
    return c.json(provider);
  });

  app.patch("/:id", async (c) => {
    const id = pathId(c, "missing_provider_config");
    const body = await readJsonBody(c, updateProviderBody, CODE);
    const changes = { name: body.name, baseUrl: body.base_url, credential: body.credential, enabled: body.enabled };
    const provider = providerOf(await providers.update(id, changes));
    invalidate({ kind: "providers" });
    return c.json(provider);
  });

  app.delete("/:id", async (c) => {
    if (!(await providers.remove(pathId(c, "missing_provider_config")))) throw new GatewayError("missing_provider_config");
    invalidate({ kind: "providers" });
    return c.body(null, 204);
  });

  for (const [action, enabled] of [["enable", true], ["disable", false]] as const) {
    app.post(`/:id/${action}`, async (c) => {
      const provider = providerOf(await providers.update(pathId(c, "missing_provider_config"), { enabled }));
      invalidate({ kind: "providers" });
      return c.json(provider);
    });
  }

  return app;
}
