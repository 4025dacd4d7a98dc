import { Hono } from "hono";
import type { AppEnv } from "../../http/app-env.ts";
import { readQuery } from "../../http/validation.ts";
import type { Db } from "../../store/db.ts";
import { summarizeUsage } from "../../store/repos/usage-summary.ts";
import { exactObject, invalidField } from "./common-schemas.ts";
import { TASK_ID, TASK_ID_RULE, usageFilterEntries, usageFilterOf } from "./usage-schemas.ts";

export interface TaskRouteDeps {
  db: Db;
}

// The path names the task; a task_id query field beside it would only contradict it.
const { task_id: _, ...taskFilterEntries } = usageFilterEntries;
const taskUsageQuery = exactObject(taskFilterEntries);

/**
 * `/admin/tasks/{task_id}/usage` (contract 6). Tasks are not stored entities, only a ledger
 * dimension: an unknown task has zero usage, not a 404.
 */
export function createTaskRoutes({ db }: TaskRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/:task_id/usage", async (c) => {
    const taskId = c.req.param("task_id");
    if (!TASK_ID.test(taskId)) throw invalidField("invalid_admin_payload", "task_id", TASK_ID_RULE);
    const filter = usageFilterOf(readQuery(c, taskUsageQuery));
    return c.json(await summarizeUsage(db, { ...filter, taskId }));
  });

  return app;
}
