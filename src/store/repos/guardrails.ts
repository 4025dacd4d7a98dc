import { asc, eq, gt, or, sql } from "drizzle-orm";
import type { GuardrailDefinition, GuardrailMode } from "../../guardrails/catalog.ts";
import type { Db } from "../db.ts";
import { guardrailDefinitions, keyGuardrailPolicies } from "../schema.ts";
import { guardrailView, viewColumns, type GuardrailView } from "./guardrails-view.ts";
import { constraintError, Rejected, settle, UNIQUE_VIOLATION } from "./pg-errors.ts";

export type { GuardrailView } from "./guardrails-view.ts";

/** The API creates HTTP guardrails only; built-ins come from the migrations. */
export type NewHttpGuardrail = Omit<GuardrailDefinition, "providerKind" | "endpointUrl"> & { endpointUrl: string };

/** Absent = unchanged; `bearerToken: null` clears the token. */
export type GuardrailChanges = Partial<Omit<NewHttpGuardrail, "name" | "endpointUrl" | "bearerToken">> & {
  endpointUrl?: string;
  bearerToken?: string | null;
};

export type GuardrailWriteOutcome =
  | { ok: true; guardrail: GuardrailView }
  | { ok: false; reason: "not_found" | "duplicate_name" };

export type GuardrailRemoveOutcome = { ok: true } | { ok: false; reason: "not_found" | "built_in" };

export interface GuardrailPage {
  rows: GuardrailView[];
  /** The last name of this page when another follows. */
  next: string | null;
}

export interface Guardrails {
  create(input: NewHttpGuardrail): Promise<GuardrailWriteOutcome>;
  /** By name. */
  list(page: { limit: number; after: string | null }): Promise<GuardrailPage>;
  get(name: string): Promise<GuardrailView | null>;
  update(name: string, changes: GuardrailChanges): Promise<GuardrailWriteOutcome>;
  /** HTTP guardrails only: deletes the entry and its name from every key policy; history stays. */
  remove(name: string): Promise<GuardrailRemoveOutcome>;
  /** Every catalog name: what key policies may refer to. */
  names(): Promise<Set<string>>;
  /** Whole definitions, bearer tokens included, for the data plane. */
  definitions(): Promise<GuardrailDefinition[]>;
}

const g = guardrailDefinitions;
const p = keyGuardrailPolicies;

function written(row: Parameters<typeof guardrailView>[0] | undefined): GuardrailWriteOutcome {
  return row ? { ok: true, guardrail: guardrailView(row) } : { ok: false, reason: "not_found" };
}

function duplicateOf(err: unknown): GuardrailWriteOutcome | null {
  const pg = constraintError(err, [UNIQUE_VIOLATION]);
  return pg?.constraint === "guardrail_definitions_pkey" ? { ok: false, reason: "duplicate_name" } : null;
}

export function createGuardrails(db: Db): Guardrails {
  return {
    create: (input) =>
      settle(
        async () => written((await db.insert(g).values({ ...input, providerKind: "http" }).returning(viewColumns))[0]),
        duplicateOf,
      ),

    async list({ limit, after }) {
      const rows = await db
        .select(viewColumns)
        .from(g)
        .where(after === null ? undefined : gt(g.name, after))
        .orderBy(asc(g.name))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      return { rows: page.map(guardrailView), next: rows.length > limit ? page[page.length - 1]!.name : null };
    },

    async get(name) {
      const [row] = await db.select(viewColumns).from(g).where(eq(g.name, name));
      return row ? guardrailView(row) : null;
    },

    async update(name, changes) {
      const [row] = await db
        .update(g)
        .set({ ...changes, updatedAt: sql`now()` })
        .where(eq(g.name, name))
        .returning(viewColumns);
      return written(row);
    },

    remove: (name) =>
      settle(() =>
        db.transaction(async (tx) => {
          const [current] = await tx.select({ kind: g.providerKind }).from(g).where(eq(g.name, name)).for("update");
          if (!current) throw new Rejected<GuardrailRemoveOutcome>({ ok: false, reason: "not_found" });
          if (current.kind !== "http") throw new Rejected<GuardrailRemoveOutcome>({ ok: false, reason: "built_in" });
          await tx.delete(g).where(eq(g.name, name));
          // Execution events keep the name: they have no foreign key to the catalog.
          await tx
            .update(p)
            .set({
              mandatoryGuardrails: sql`array_remove(${p.mandatoryGuardrails}, ${name})`,
              optionalGuardrails: sql`array_remove(${p.optionalGuardrails}, ${name})`,
              forbiddenGuardrails: sql`array_remove(${p.forbiddenGuardrails}, ${name})`,
              guardrailConfigOverrides: sql`${p.guardrailConfigOverrides} - ${name}::text`,
              updatedAt: sql`now()`,
            })
            .where(
              or(
                sql`${name} = any(${p.mandatoryGuardrails})`,
                sql`${name} = any(${p.optionalGuardrails})`,
                sql`${name} = any(${p.forbiddenGuardrails})`,
                sql`(${p.guardrailConfigOverrides} -> ${name}::text) is not null`,
              ),
            );
          return { ok: true } as const;
        }),
      ),

    async names() {
      return new Set((await db.select({ name: g.name }).from(g)).map((row) => row.name));
    },

    async definitions() {
      const rows = await db.select().from(g).orderBy(asc(g.name));
      return rows.map((row) => ({
        name: row.name,
        description: row.description,
        providerKind: row.providerKind,
        modes: row.modes as GuardrailMode[],
        failurePolicy: row.failurePolicy,
        enabled: row.enabled,
        defaultOn: row.defaultOn,
        configSchema: row.configSchema,
        runtimeConfig: row.runtimeConfig,
        endpointUrl: row.endpointUrl,
        timeoutMs: row.timeoutMs,
        bearerToken: row.bearerToken,
      }));
    },
  };
}
