/**
 * Real PostgreSQL and Redis for integration tests: one database and one Redis key prefix per
 * test file, so files can run in parallel and leave nothing behind.
 */
import Redis from "ioredis";
import postgres from "postgres";

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

function uniqueSuffix(): string {
  return `${Date.now().toString(36)}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

async function reachable(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch {
    return false;
  }
}

let availability: Promise<{ postgres: boolean; redis: boolean }> | null = null;

/**
 * Whether the local services answer. Outside CI an unreachable service skips the integration
 * tests with one loud line; in CI (CI=true) it is a failure, never a silent skip.
 */
export function integrationServices(): Promise<{ postgres: boolean; redis: boolean }> {
  availability ??= (async () => {
    const pg = await reachable(async () => {
      const sql = postgres(TEST_DATABASE_URL, { max: 1, connect_timeout: 2, onnotice: () => {} });
      try {
        await sql`select 1`;
      } finally {
        await sql.end({ timeout: 1 });
      }
    });
    const redis = await reachable(async () => {
      const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0 });
      try {
        await client.connect();
        await client.ping();
      } finally {
        client.disconnect();
      }
    });
    const missing = [!pg && "PostgreSQL", !redis && "Redis"].filter(Boolean).join(" and ");
    if (missing) {
      if (process.env.CI) throw new Error(`integration services unreachable in CI: ${missing}`);
      console.warn(`\n!!! SKIPPING integration tests: ${missing} unreachable (start them or run .ci/run) !!!\n`);
    }
    return { postgres: pg, redis };
  })();
  return availability;
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, uniquely named database on the test server; drop() removes it (forcing sessions off). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `relayna_test_${uniqueSuffix()}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 2 });
  }
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await sql.end({ timeout: 2 });
      }
    },
  };
}

export interface TestRedisPrefix {
  prefix: string;
  /** Deletes every key under the prefix. */
  cleanup(): Promise<void>;
}

export function createTestRedisPrefix(): TestRedisPrefix {
  const prefix = `relayna_test:${uniqueSuffix()}:`;
  return {
    prefix,
    async cleanup() {
      const client = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        let cursor = "0";
        do {
          const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
          if (keys.length > 0) await client.del(...keys);
          cursor = next;
        } while (cursor !== "0");
      } finally {
        client.disconnect();
      }
    },
  };
}
