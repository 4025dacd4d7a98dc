import type { Logger } from "pino";
import { createBaseApp } from "../http/app.ts";
import type { HttpMetrics } from "../http/metrics.ts";
import type { OperatorTokens } from "../store/repos/operator-tokens.ts";
import { createOperatorTokenRoutes } from "./admin/operator-token.ts";
import { createHealthRoutes, type ReadinessCheck } from "./health.ts";
import { operatorAuth } from "./operator-auth.ts";

export interface ControlDeps {
  logger: Logger;
  metrics: HttpMetrics;
  readiness: Record<string, ReadinessCheck>;
  operatorTokens: OperatorTokens;
}

/** The control listener: health, readiness, metrics and the operator-authenticated admin API. */
export function createControlApp(deps: ControlDeps) {
  const app = createBaseApp({ listener: "control", logger: deps.logger, metrics: deps.metrics });
  app.route("/", createHealthRoutes(deps));
  app.use("/admin/*", operatorAuth(deps.operatorTokens));
  app.route("/admin/operator-token", createOperatorTokenRoutes(deps.operatorTokens));
  return app;
}
