import { Hono } from "hono";
import type { AppEnv } from "../../http/app-env.ts";
import { GatewayError } from "../../http/errors.ts";
import { readJsonBody, readQuery } from "../../http/validation.ts";
import type { Invalidate } from "../../store/cache/invalidation.ts";
import type { Db } from "../../store/db.ts";
import { createProjects, type ProjectWriteOutcome } from "../../store/repos/projects.ts";
import { summarizeUsage } from "../../store/repos/usage-summary.ts";
import { pathId, readUsageRange } from "./common-schemas.ts";
import { pageRequest, renderPage } from "./pagination.ts";
import { createProjectBody, listProjectsQuery, updateProjectBody } from "./project-schemas.ts";

export interface ProjectRouteDeps {
  db: Db;
  invalidate: Invalidate;
}

function projectOf(outcome: ProjectWriteOutcome) {
  if (outcome.ok) return outcome.project;
  switch (outcome.reason) {
    case "duplicate_name":
      throw new GatewayError("duplicate_project");
    case "not_found":
      throw new GatewayError("missing_project");
    case "unknown_service":
      throw new GatewayError("invalid_project_payload", {
        message: outcome.service
          ? `Invalid field \`service_names\`: service "${outcome.service}" is not registered.`
          : "Invalid field `service_names`: a listed service is not registered.",
      });
  }
}

/** `/admin/projects` (contract 6). */
export function createProjectRoutes({ db, invalidate }: ProjectRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const projects = createProjects(db);

  app.post("/", async (c) => {
    const body = await readJsonBody(c, createProjectBody, "invalid_project_payload");
    const project = projectOf(await projects.create({ name: body.name, serviceNames: body.service_names }));
    return c.json(project, 201);
  });

  app.get("/", async (c) => renderPage(c, await projects.list(pageRequest(readQuery(c, listProjectsQuery)))));

  app.get("/:id", async (c) => {
    const project = await projects.get(pathId(c, "missing_project"));
    if (!project) throw new GatewayError("missing_project");
    return c.json(project);
  });

  app.patch("/:id", async (c) => {
    const id = pathId(c, "missing_project");
    const body = await readJsonBody(c, updateProjectBody, "invalid_project_payload");
    const serviceNames = body.service_names === null ? [] : body.service_names;
    const project = projectOf(await projects.update(id, { name: body.name, serviceNames }));
    invalidate({ kind: "project", projectId: id });
    return c.json(project);
  });

  app.delete("/:id", async (c) => {
    const id = pathId(c, "missing_project");
    const outcome = await projects.remove(id);
    if (outcome === "not_found") throw new GatewayError("missing_project");
    if (outcome === "in_use") throw new GatewayError("project_in_use");
    invalidate({ kind: "project", projectId: id });
    return c.body(null, 204);
  });

  app.get("/:id/usage", async (c) => {
    const id = pathId(c, "missing_project");
    const range = readUsageRange(c);
    if (!(await projects.get(id))) throw new GatewayError("missing_project");
    return c.json(await summarizeUsage(db, { projectId: id, ...range }));
  });

  return app;
}
