import { Hono } from "hono";
import type { AppEnv } from "../../http/app-env.ts";
import { readQuery } from "../../http/validation.ts";
import type { Db } from "../../store/db.ts";
import { listExecutions, summarizeExecutions, type ExecutionFilter } from "../../store/repos/guardrails-executions.ts";
import { invalidField } from "./common-schemas.ts";
import { encodeExecutionCursor, executionsQuery, summaryQuery } from "./guardrails-schemas.ts";
import { DEFAULT_PAGE_LIMIT } from "./pagination.ts";

export interface GuardrailExecutionRouteDeps {
  db: Db;
}

type FilterQuery = Omit<ExecutionFilter, "keyId"> & { key_id?: string };

function filterOf({ key_id, ...query }: FilterQuery): ExecutionFilter {
  if (query.from && query.to && query.to <= query.from) {
    throw invalidField("invalid_admin_payload", "to", "must be later than `from`");
  }
  return { ...query, keyId: key_id };
}

/**
 * `/admin/guardrails/executions` and `/summary` over `guardrail_execution_events` (contract 8):
 * history outlives the catalog, so a deleted guardrail's runs still show.
 */
export function createGuardrailExecutionRoutes({ db }: GuardrailExecutionRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/executions", async (c) => {
    const { limit, cursor, ...filter } = readQuery(c, executionsQuery);
    const request = { limit: limit ?? DEFAULT_PAGE_LIMIT, after: cursor ?? null };
    const page = await listExecutions(db, filterOf(filter), request);
    return c.json({ data: page.rows, next_cursor: page.next ? encodeExecutionCursor(page.next) : null });
  });

  app.get("/summary", async (c) => {
    const rows = await summarizeExecutions(db, filterOf(readQuery(c, summaryQuery)));
    return c.json({ data: rows, next_cursor: null });
  });

  return app;
}
