/**
 * What the benchmark measures, each in its own process: the stub upstream, the bare Bun proxy
 * in front of it, and the gateway (`bun src/main.ts`) in front of it with a fresh database, its
 * own Redis key prefix and a real virtual key.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatCredential } from "../../src/core/credentials.ts";
import { connectPostgres, type Database } from "../../src/store/db.ts";
import { eq } from "drizzle-orm";
import { keyGuardrailPolicies } from "../../src/store/schema.ts";
import { insertTestKey } from "../../src/testing/fixtures/keys.ts";
import { createTestDatabase, createTestRedisPrefix, TEST_REDIS_URL } from "../../src/testing/services.ts";
import { listeningUrl, startChild, type Child } from "./children.ts";
import type { Cleanup } from "./cleanup.ts";

export const TARGETS = ["direct", "bare", "gateway"] as const;
/**
 * `variant`: the same gateway process through a second key that has what --limits /
 * --guardrails switch on, so the cost of those features is measured against the plain key
 * within the same rounds (not across two noisy runs).
 */
export type TargetId = (typeof TARGETS)[number] | "variant";

export interface Target {
  id: TargetId;
  /** Base URL; requests go to `${url}/v1/chat/completions`. */
  url: string;
  /** The process under test in front of the stub (the stub itself for `direct`). */
  proxyPid: number;
  /** `Authorization` value sent to this target (the stub and the bare proxy ignore it). */
  authorization: string;
}

export interface Stack {
  targets: Partial<Record<TargetId, Target>> & Record<(typeof TARGETS)[number], Target>;
  /** The targets of a round, in base order: TARGETS, then `variant` when there is one. */
  order: TargetId[];
  /** What the variant key has, e.g. "RPM/TPM/budgets" (null without a variant). */
  variantLabel: string | null;
  stubPid: number;
  gateway: Child;
  controlUrl: string;
  /** A connection of our own to the gateway's database (usage rows). */
  database: Database;
}

/** Request logs stay off (every request would write a line); the startup lines carry the ports. */
export const GATEWAY_LOG_LEVEL = "warn,gateway=info";

async function assertReady(controlUrl: string): Promise<void> {
  const response = await fetch(`${controlUrl}/readyz`);
  const body = await response.text();
  if (response.status !== 200) throw new Error(`gateway not ready: ${response.status} ${body}`);
}

/** `bunFlags`: extra flags for the gateway's bun (e.g. --cpu-prof-md with --cpu-prof-dir). */
export async function startStack(
  cleanup: Cleanup,
  log: (line: string) => void,
  bunFlags: string[] = [],
  limits = false,
  guardrails = false,
): Promise<Stack> {
  const testDb = await createTestDatabase();
  cleanup.add(`drop database ${testDb.name}`, () => testDb.drop());
  const redis = createTestRedisPrefix();
  cleanup.add(`delete Redis keys ${redis.prefix}*`, () => redis.cleanup());
  // Never share spill files with another gateway (they would be replayed into our database).
  const spillDir = mkdtempSync(join(tmpdir(), "relayna-bench-spill-"));
  cleanup.add("remove spill directory", async () => rmSync(spillDir, { recursive: true, force: true }));
  log(`database ${testDb.name}, Redis prefix ${redis.prefix}`);

  const stub = startChild("stub upstream", ["bun", "src/testing/stub-upstream.ts", "--port", "0"], {}, cleanup);
  const stubUrl = await listeningUrl(stub);
  const bare = startChild("bare proxy", ["bun", "scripts/bench/bare-proxy.ts", "--upstream", stubUrl], {}, cleanup);
  const bareUrl = await listeningUrl(bare);

  const gateway = startChild(
    "gateway",
    ["bun", ...bunFlags, "src/main.ts"],
    {
      GATEWAY_BIND_ADDR: "127.0.0.1:0",
      GATEWAY_CONTROL_BIND_ADDR: "127.0.0.1:0",
      DATABASE_URL: testDb.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      LITELLM_BASE_URL: stubUrl,
      LITELLM_SERVICE_KEY: "sk-bench-upstream",
      // Seeded, so a fresh database prints no generated operator token.
      GATEWAY_ADMIN_TOKEN: formatCredential("op_live_", crypto.getRandomValues(new Uint8Array(32))),
      LOG_LEVEL: GATEWAY_LOG_LEVEL,
      USAGE_SPILL_DIR: spillDir,
      GATEWAY_SHUTDOWN_GRACE_SECONDS: "5",
    },
    cleanup,
  );
  const ports = await gateway.process.ports();
  const controlUrl = `http://127.0.0.1:${ports.control}`;
  await assertReady(controlUrl);

  // The gateway has applied the migrations: the key can be written now.
  const database = connectPostgres(testDb.url, { max: 2 });
  cleanup.add("close our database connection", () => database.close());
  // The plain key: auth, policy and the usage ledger, nothing else.
  const plain = await insertTestKey(database.db, { policy: { allowStreaming: true } });
  const base = {
    direct: { id: "direct", url: stubUrl, proxyPid: stub.pid, authorization: `Bearer ${plain.raw}` },
    bare: { id: "bare", url: bareUrl, proxyPid: bare.pid, authorization: `Bearer ${plain.raw}` },
    gateway: { id: "gateway", url: `http://127.0.0.1:${ports.proxy}`, proxyPid: gateway.pid, authorization: `Bearer ${plain.raw}` },
  } satisfies Record<(typeof TARGETS)[number], Target>;
  const stack = { targets: base, order: [...TARGETS] as TargetId[], variantLabel: null, stubPid: stub.pid, gateway, controlUrl, database };
  if (!limits && !guardrails) return stack;

  // With --limits every request of the variant key is metered (one Redis round trip) by limits
  // it never reaches; with --guardrails pii-redact is mandatory for it.
  const metered = { rpmLimit: 100_000_000, tpmLimit: 2_000_000_000, dailyBudgetUsd: 1e9, monthlyBudgetUsd: 1e9 };
  const key = await insertTestKey(database.db, { policy: { allowStreaming: true, ...(limits ? metered : {}) } });
  if (guardrails) {
    await database.db
      .update(keyGuardrailPolicies)
      .set({ mandatoryGuardrails: ["pii-redact"] })
      .where(eq(keyGuardrailPolicies.keyId, key.id));
  }
  const variantLabel = [limits && "RPM/TPM/budgets", guardrails && "pii-redact mandatory"].filter(Boolean).join(" + ");
  log(`variant key: ${variantLabel} (same gateway; compared with the plain key in every round)`);
  const variant: Target = { ...base.gateway, id: "variant", authorization: `Bearer ${key.raw}` };
  return { ...stack, targets: { ...base, variant }, order: [...TARGETS, "variant"], variantLabel };
}
