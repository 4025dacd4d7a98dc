import { asc, eq, inArray, type SQL } from "drizzle-orm";
import { DEFAULT_GUARDRAIL_POLICY, type GuardrailPolicy } from "../../core/guardrail-policy.ts";
import { DEFAULT_KEY_POLICY } from "../../core/key-policy-patch.ts";
import type { KeyPolicy } from "../../core/policy.ts";
import type { Db } from "../db.ts";
import { apiKeys, keyGuardrailPolicies, keyPolicies, keyServiceLinks } from "../schema.ts";
import { cursorTimestamp } from "./keyset.ts";
import { projectLinks } from "./projects.ts";

export interface KeyPolicyView {
  allowed_routes: string[];
  allowed_models: string[];
  allowed_providers: string[];
  allowed_services: string[] | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  daily_budget_usd: number | null;
  monthly_budget_usd: number | null;
  allow_streaming: boolean;
  allow_tools: boolean;
}

export interface GuardrailPolicyView {
  mandatory_guardrails: string[];
  optional_guardrails: string[];
  forbidden_guardrails: string[];
  guardrail_config_overrides: Record<string, Record<string, unknown>>;
}

/** Contract 5's Key. Never carries the digest: it is not even selected. */
export interface KeyView {
  id: string;
  owner_type: "project" | "individual";
  project_id: string | null;
  service_names: string[];
  key_prefix: string;
  name: string | null;
  disabled: boolean;
  revoked_at: string | null;
  expires_at: string | null;
  policy: KeyPolicyView;
  guardrail_policy: GuardrailPolicyView;
  created_at: string;
  updated_at: string;
}

const keyColumns = {
  id: apiKeys.id,
  ownerType: apiKeys.ownerType,
  projectId: apiKeys.projectId,
  keyPrefix: apiKeys.keyPrefix,
  name: apiKeys.name,
  disabled: apiKeys.disabled,
  revokedAt: apiKeys.revokedAt,
  expiresAt: apiKeys.expiresAt,
  createdAt: apiKeys.createdAt,
  updatedAt: apiKeys.updatedAt,
};

export type KeyRow = Awaited<ReturnType<typeof fetchKeyRows>>[number];

/** Keys with their policies, in list order; `limit` rows at most. */
export function fetchKeyRows(db: Db, where: SQL | undefined, limit?: number) {
  const query = db
    .select({
      key: keyColumns,
      id: apiKeys.id,
      cursorAt: cursorTimestamp(apiKeys.createdAt),
      policy: keyPolicies,
      guardrails: keyGuardrailPolicies,
    })
    .from(apiKeys)
    .leftJoin(keyPolicies, eq(keyPolicies.keyId, apiKeys.id))
    .leftJoin(keyGuardrailPolicies, eq(keyGuardrailPolicies.keyId, apiKeys.id))
    .where(where)
    .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
  return limit === undefined ? query : query.limit(limit);
}

// A key row without its policy rows (written outside this API) reads as the defaults.
export function policyOf(row: typeof keyPolicies.$inferSelect | null): KeyPolicy {
  if (!row) return { ...DEFAULT_KEY_POLICY };
  const { keyId: _k, updatedAt: _u, ...policy } = row;
  return policy;
}

export function guardrailPolicyOf(row: typeof keyGuardrailPolicies.$inferSelect | null): GuardrailPolicy {
  if (!row) return { ...DEFAULT_GUARDRAIL_POLICY };
  const { keyId: _k, updatedAt: _u, ...policy } = row;
  return policy;
}

const policyView = (p: KeyPolicy): KeyPolicyView => ({
  allowed_routes: p.allowedRoutes,
  allowed_models: p.allowedModels,
  allowed_providers: p.allowedProviders,
  allowed_services: p.allowedServices,
  rpm_limit: p.rpmLimit,
  tpm_limit: p.tpmLimit,
  daily_budget_usd: p.dailyBudgetUsd,
  monthly_budget_usd: p.monthlyBudgetUsd,
  allow_streaming: p.allowStreaming,
  allow_tools: p.allowTools,
});

const guardrailView = (g: GuardrailPolicy): GuardrailPolicyView => ({
  mandatory_guardrails: g.mandatoryGuardrails,
  optional_guardrails: g.optionalGuardrails,
  forbidden_guardrails: g.forbiddenGuardrails,
  guardrail_config_overrides: g.guardrailConfigOverrides,
});

async function keyLinks(db: Db, keyIds: string[]): Promise<Map<string, string[]>> {
  const links = new Map<string, string[]>(keyIds.map((id) => [id, []]));
  if (keyIds.length === 0) return links;
  const rows = await db
    .select({ keyId: keyServiceLinks.keyId, name: keyServiceLinks.serviceName })
    .from(keyServiceLinks)
    .where(inArray(keyServiceLinks.keyId, keyIds))
    .orderBy(asc(keyServiceLinks.serviceName));
  for (const row of rows) links.get(row.keyId)?.push(row.name);
  return links;
}

/** Renders rows as Keys: project keys show their project's links, individual keys their own. */
export async function renderKeys(db: Db, rows: KeyRow[]): Promise<KeyView[]> {
  const projectIds = [...new Set(rows.flatMap((r) => (r.key.projectId ? [r.key.projectId] : [])))];
  const ofProjects = await projectLinks(db, projectIds);
  const ofKeys = await keyLinks(db, rows.filter((r) => r.key.ownerType === "individual").map((r) => r.id));
  return rows.map(({ key, policy, guardrails }) => ({
    id: key.id,
    owner_type: key.ownerType,
    project_id: key.projectId,
    service_names: (key.projectId ? ofProjects.get(key.projectId) : ofKeys.get(key.id)) ?? [],
    key_prefix: key.keyPrefix,
    name: key.name,
    disabled: key.disabled,
    revoked_at: key.revokedAt?.toISOString() ?? null,
    expires_at: key.expiresAt?.toISOString() ?? null,
    policy: policyView(policyOf(policy)),
    guardrail_policy: guardrailView(guardrailPolicyOf(guardrails)),
    created_at: key.createdAt.toISOString(),
    updated_at: key.updatedAt.toISOString(),
  }));
}
