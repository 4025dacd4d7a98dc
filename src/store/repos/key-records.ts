import { eq } from "drizzle-orm";
import { DEFAULT_KEY_POLICY } from "../../core/key-policy-patch.ts";
import type { KeyPolicy } from "../../core/policy.ts";
import type { Db } from "../db.ts";
import { DEFAULT_GUARDRAIL_POLICY, type GuardrailPolicy } from "../../core/guardrail-policy.ts";
import { apiKeys, keyGuardrailPolicies, keyPolicies, keyServiceLinks, projectServiceLinks } from "../schema.ts";

/** Everything the proxy needs to decide on a request of one key; cached in memory. */
export interface KeyRecord {
  id: string;
  digest: string;
  ownerType: "project" | "individual";
  projectId: string | null;
  disabled: boolean;
  revokedAtMs: number | null;
  expiresAtMs: number | null;
  policy: KeyPolicy;
  /** Effective service links: the project's for project keys, the key's own otherwise. */
  serviceNames: string[];
  guardrailPolicy: GuardrailPolicy;
}


/** The key with this digest (unique index), its policy and effective links; null if unknown. */
export async function loadKeyRecord(db: Db, digest: string): Promise<KeyRecord | null> {
  const rows = await db
    .select({ key: apiKeys, policy: keyPolicies, guardrails: keyGuardrailPolicies })
    .from(apiKeys)
    .leftJoin(keyPolicies, eq(keyPolicies.keyId, apiKeys.id))
    .leftJoin(keyGuardrailPolicies, eq(keyGuardrailPolicies.keyId, apiKeys.id))
    .where(eq(apiKeys.keyDigest, digest))
    .limit(1);
  const found = await Promise.all(
    rows.map(async ({ key, policy, guardrails }) => {
      const links =
        key.ownerType === "project" && key.projectId
          ? await db
              .select({ name: projectServiceLinks.serviceName })
              .from(projectServiceLinks)
              .where(eq(projectServiceLinks.projectId, key.projectId))
          : await db
              .select({ name: keyServiceLinks.serviceName })
              .from(keyServiceLinks)
              .where(eq(keyServiceLinks.keyId, key.id));
      return {
        id: key.id,
        digest: key.keyDigest,
        ownerType: key.ownerType,
        projectId: key.projectId,
        disabled: key.disabled,
        revokedAtMs: key.revokedAt?.getTime() ?? null,
        expiresAtMs: key.expiresAt?.getTime() ?? null,
        policy: policy
          ? {
              allowedRoutes: policy.allowedRoutes,
              allowedModels: policy.allowedModels,
              allowedProviders: policy.allowedProviders,
              allowedServices: policy.allowedServices,
              rpmLimit: policy.rpmLimit,
              tpmLimit: policy.tpmLimit,
              dailyBudgetUsd: policy.dailyBudgetUsd,
              monthlyBudgetUsd: policy.monthlyBudgetUsd,
              allowStreaming: policy.allowStreaming,
              allowTools: policy.allowTools,
            }
          : { ...DEFAULT_KEY_POLICY },
        serviceNames: links.map((l) => l.name),
        guardrailPolicy: guardrails
          ? {
              mandatoryGuardrails: guardrails.mandatoryGuardrails,
              optionalGuardrails: guardrails.optionalGuardrails,
              forbiddenGuardrails: guardrails.forbiddenGuardrails,
              guardrailConfigOverrides: guardrails.guardrailConfigOverrides,
            }
          : { ...DEFAULT_GUARDRAIL_POLICY },
      };
    }),
  );
  return found[0] ?? null;
}
