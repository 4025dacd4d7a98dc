import type { Logger } from "pino";
import { createBaseApp } from "../http/app.ts";
import type { HttpMetrics } from "../http/metrics.ts";
import type { Invalidate } from "../store/cache/invalidation.ts";
import type { KeyCache } from "../store/cache/key-cache.ts";
import type { RuntimeConfig } from "../store/cache/runtime-config.ts";
import type { Db } from "../store/db.ts";
import type { OperatorTokens } from "../store/repos/operator-tokens.ts";
import type { StudioEnv } from "../studio/connection.ts";
import { createGuardrailExecutionRoutes } from "./admin/guardrails-executions.ts";
import { createGuardrailRoutes } from "./admin/guardrails.ts";
import { createKeyRoutes } from "./admin/keys.ts";
import { createModelPriceRoutes } from "./admin/model-prices.ts";
import { createOpenaiRouteRoutes } from "./admin/openai-routes.ts";
import { createOperatorTokenRoutes } from "./admin/operator-token.ts";
import { createProjectRoutes } from "./admin/projects.ts";
import { createProviderHealthRoutes } from "./admin/provider-health.ts";
import { createProviderRoutes } from "./admin/providers.ts";
import { createServiceImportRoutes } from "./admin/services-import.ts";
import { createServiceRoutes } from "./admin/services.ts";
import { createStudioRoutes } from "./admin/studio.ts";
import { createTaskRoutes } from "./admin/tasks.ts";
import { createUsageExportRoutes } from "./admin/usage-export.ts";
import { createUsageRoutes } from "./admin/usage.ts";
import { createClientGuardrailRoutes } from "./client-guardrails.ts";
import { createHealthRoutes, type ReadinessCheck } from "./health.ts";
import { operatorAuth } from "./operator-auth.ts";

export interface ControlDeps {
  logger: Logger;
  metrics: HttpMetrics;
  readiness: Record<string, ReadinessCheck>;
  operatorTokens: OperatorTokens;
  db: Db;
  /** Tells the hot-path caches (this replica and the others) what an admin write changed. */
  invalidate: Invalidate;
  /** RELAYNA_STUDIO_BASE_URL / _TOKEN: the fallback under the persisted Studio connection (none when absent). */
  studioEnv?: StudioEnv;
  /** Keys and the runtime snapshot (guardrail catalog), for the virtual-key routes /v1/guardrails*. */
  cache?: { keys: KeyCache; runtime: RuntimeConfig };
}

/** The control listener: health, readiness, metrics, the operator-authenticated admin API and the client guardrail routes. */
export function createControlApp(deps: ControlDeps) {
  const app = createBaseApp({ listener: "control", logger: deps.logger, metrics: deps.metrics });
  app.route("/", createHealthRoutes(deps));
  app.use("/admin/*", operatorAuth(deps.operatorTokens));
  app.route("/admin/operator-token", createOperatorTokenRoutes(deps.operatorTokens));
  app.route("/admin/projects", createProjectRoutes(deps));
  app.route("/admin/keys", createKeyRoutes(deps));
  app.route("/admin/providers", createProviderRoutes(deps));
  const studio = { ...deps, studioEnv: deps.studioEnv ?? { baseUrl: null, token: null } };
  app.route("/admin/services/import", createServiceImportRoutes(studio));
  app.route("/admin/services", createServiceRoutes(deps));
  app.route("/admin/studio", createStudioRoutes(studio));
  app.route("/admin/openai-routes", createOpenaiRouteRoutes(deps));
  app.route("/admin/usage", createUsageRoutes(deps));
  app.route("/admin/usage", createUsageExportRoutes(deps));
  app.route("/admin/tasks", createTaskRoutes(deps));
  app.route("/admin/provider-health", createProviderHealthRoutes(deps));
  app.route("/admin/model-prices", createModelPriceRoutes(deps));
  // GET-only fixed paths; the catalog has no GET /{name}, so a guardrail named `summary` is still editable.
  app.route("/admin/guardrails", createGuardrailExecutionRoutes(deps));
  app.route("/admin/guardrails", createGuardrailRoutes(deps));
  // Virtual-key auth (contract 6 "client"), not the operator token.
  app.route("/v1/guardrails", createClientGuardrailRoutes(deps));
  return app;
}
