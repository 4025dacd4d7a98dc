import { and, eq, gt, isNotNull, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import { digestCredential, formatCredential, lookupPrefix, VIRTUAL_KEY_PREFIX } from "../../core/credentials.ts";
import type { GuardrailPolicy } from "../../core/guardrail-policy.ts";
import type { KeyPolicy } from "../../core/policy.ts";
import type { Db } from "../db.ts";
import { apiKeys, keyGuardrailPolicies, keyPolicies, keyServiceLinks, projects } from "../schema.ts";
import { fetchKeyRows, guardrailPolicyOf, policyOf, renderKeys, type KeyView } from "./key-views.ts";
import { afterCursor, toPage, type Page, type PageRequest } from "./keyset.ts";
import { constraintError, FOREIGN_KEY_VIOLATION, Rejected, settle } from "./pg-errors.ts";
import { firstUnregisteredService } from "./registered-services.ts";

export type { KeyView } from "./key-views.ts";

export const KEY_STATUSES = ["active", "disabled", "revoked", "expired"] as const;
/** Revoked outranks disabled outranks expired, as in authentication (contract 2). */
export type KeyStatus = (typeof KEY_STATUSES)[number];

export interface KeyListFilter {
  projectId?: string;
  ownerType?: "project" | "individual";
  status?: KeyStatus;
}

export interface NewKey {
  ownerType: "project" | "individual";
  projectId: string | null;
  /** Individual keys only; project keys inherit their project's links. */
  serviceNames: string[];
  name: string | null;
  expiresAt: Date | null;
  policy: KeyPolicy;
  guardrailPolicy: GuardrailPolicy;
}

/** What an edit plan sees of the key it changes (read under a row lock). */
export interface KeyState {
  ownerType: "project" | "individual";
  policy: KeyPolicy;
  guardrailPolicy: GuardrailPolicy;
}

/** Absent = unchanged; policies are whole (already merged) values. */
export interface KeyChanges {
  name?: string | null;
  expiresAt?: Date | null;
  disabled?: boolean;
  policy?: KeyPolicy;
  guardrailPolicy?: GuardrailPolicy;
  /** Replaces the key's own links (individual keys). */
  serviceNames?: string[];
}

type UnknownService = { ok: false; reason: "unknown_service"; service: string | null };
export type KeyCreateOutcome =
  | { ok: true; key: KeyView; rawKey: string }
  | { ok: false; reason: "missing_project" }
  | UnknownService;
export type KeyUpdateOutcome =
  | { ok: true; key: KeyView }
  | { ok: false; reason: "not_found" | "revoked" }
  | UnknownService;

export interface Keys {
  /** Stores only the digest and lookup prefix; the raw key is in the outcome, once. */
  create(input: NewKey): Promise<KeyCreateOutcome>;
  list(filter: KeyListFilter, page: PageRequest): Promise<Page<KeyView>>;
  get(id: string): Promise<KeyView | null>;
  /** Locks the key, asks `plan` what to change, writes it; a revoked key is never changed. */
  update(id: string, plan: (current: KeyState) => KeyChanges): Promise<KeyUpdateOutcome>;
  /** Permanent; revoking a revoked key changes nothing. */
  revoke(id: string): Promise<KeyView | null>;
}

export interface KeyOptions {
  random?: (size: number) => Uint8Array;
}

function statusCondition(status: KeyStatus): SQL {
  const live = and(isNull(apiKeys.revokedAt), eq(apiKeys.disabled, false))!;
  switch (status) {
    case "revoked":
      return isNotNull(apiKeys.revokedAt);
    case "disabled":
      return and(isNull(apiKeys.revokedAt), eq(apiKeys.disabled, true))!;
    case "expired":
      return and(live, lte(apiKeys.expiresAt, sql`now()`))!;
    case "active":
      return and(live, or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)))!;
  }
}

const policyRow = (keyId: string, p: KeyPolicy) => ({ keyId, ...p, updatedAt: sql`now()` });
const guardrailRow = (keyId: string, g: GuardrailPolicy) => ({ keyId, ...g, updatedAt: sql`now()` });

async function replaceKeyLinks(tx: Db, keyId: string, serviceNames: string[]): Promise<void> {
  const unknown = await firstUnregisteredService(tx, serviceNames);
  if (unknown) throw new Rejected<UnknownService>({ ok: false, reason: "unknown_service", service: unknown });
  await tx.delete(keyServiceLinks).where(eq(keyServiceLinks.keyId, keyId));
  if (serviceNames.length === 0) return;
  await tx.insert(keyServiceLinks).values(serviceNames.map((serviceName) => ({ keyId, serviceName })));
}

// Races a pre-check cannot see: a service (or the project) was deleted during the write.
function unknownServiceOf(err: unknown): UnknownService | null {
  const pg = constraintError(err, [FOREIGN_KEY_VIOLATION]);
  return pg?.constraint?.includes("service_name") ? { ok: false, reason: "unknown_service", service: null } : null;
}

function missingProjectOf(err: unknown): { ok: false; reason: "missing_project" } | null {
  const pg = constraintError(err, [FOREIGN_KEY_VIOLATION]);
  return pg?.constraint === "api_keys_project_id_projects_id_fk" ? { ok: false, reason: "missing_project" } : null;
}

export function createKeys(db: Db, options: KeyOptions = {}): Keys {
  const random = options.random ?? ((size: number) => crypto.getRandomValues(new Uint8Array(size)));
  const get = async (id: string) => (await renderKeys(db, await fetchKeyRows(db, eq(apiKeys.id, id))))[0] ?? null;
  const found = async (id: string) => ({ ok: true, key: (await get(id))! }) as const;

  return {
    create: (input) =>
      settle(async () => {
        const rawKey = formatCredential(VIRTUAL_KEY_PREFIX, random(32));
        const id = await db.transaction(async (tx) => {
          if (input.projectId !== null) {
            const [project] = await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, input.projectId));
            if (!project) throw new Rejected({ ok: false, reason: "missing_project" } as const);
          }
          const [row] = await tx
            .insert(apiKeys)
            .values({
              ownerType: input.ownerType,
              projectId: input.projectId,
              keyPrefix: lookupPrefix(rawKey),
              keyDigest: digestCredential(rawKey),
              name: input.name,
              expiresAt: input.expiresAt,
            })
            .returning({ id: apiKeys.id });
          const keyId = row!.id;
          await tx.insert(keyPolicies).values(policyRow(keyId, input.policy));
          await tx.insert(keyGuardrailPolicies).values(guardrailRow(keyId, input.guardrailPolicy));
          if (input.ownerType === "individual") await replaceKeyLinks(tx, keyId, input.serviceNames);
          return keyId;
        });
        return { ok: true, key: (await get(id))!, rawKey } as const;
      }, (err) => missingProjectOf(err) ?? unknownServiceOf(err)),

    async list(filter, { limit, after }) {
      const where = and(
        filter.projectId === undefined ? undefined : eq(apiKeys.projectId, filter.projectId),
        filter.ownerType === undefined ? undefined : eq(apiKeys.ownerType, filter.ownerType),
        filter.status === undefined ? undefined : statusCondition(filter.status),
        afterCursor(apiKeys.createdAt, apiKeys.id, after),
      );
      const page = toPage(await fetchKeyRows(db, where, limit + 1), limit);
      return { rows: await renderKeys(db, page.rows), next: page.next };
    },

    get,

    update: (id, plan) =>
      settle(async () => {
        await db.transaction(async (tx) => {
          const [current] = await tx
            .select({
              ownerType: apiKeys.ownerType,
              revokedAt: apiKeys.revokedAt,
              policy: keyPolicies,
              guardrails: keyGuardrailPolicies,
            })
            .from(apiKeys)
            .leftJoin(keyPolicies, eq(keyPolicies.keyId, apiKeys.id))
            .leftJoin(keyGuardrailPolicies, eq(keyGuardrailPolicies.keyId, apiKeys.id))
            .where(eq(apiKeys.id, id))
            .for("update", { of: apiKeys });
          if (!current) throw new Rejected({ ok: false, reason: "not_found" } as const);
          if (current.revokedAt) throw new Rejected({ ok: false, reason: "revoked" } as const);
          const changes = plan({
            ownerType: current.ownerType,
            policy: policyOf(current.policy),
            guardrailPolicy: guardrailPolicyOf(current.guardrails),
          });
          const { name, expiresAt, disabled } = changes;
          await tx
            .update(apiKeys)
            .set({ name, expiresAt, disabled, updatedAt: sql`now()` })
            .where(eq(apiKeys.id, id));
          if (changes.policy) {
            const row = policyRow(id, changes.policy);
            await tx.insert(keyPolicies).values(row).onConflictDoUpdate({ target: keyPolicies.keyId, set: row });
          }
          if (changes.guardrailPolicy) {
            const row = guardrailRow(id, changes.guardrailPolicy);
            await tx
              .insert(keyGuardrailPolicies)
              .values(row)
              .onConflictDoUpdate({ target: keyGuardrailPolicies.keyId, set: row });
          }
          if (changes.serviceNames) await replaceKeyLinks(tx, id, changes.serviceNames);
        });
        return found(id);
      }, unknownServiceOf),

    async revoke(id) {
      await db
        .update(apiKeys)
        .set({ revokedAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
      return get(id);
    },
  };
}
