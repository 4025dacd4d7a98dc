import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig, type GatewayConfig } from "../config/config.ts";
import { formatCredential } from "../core/credentials.ts";
import { startGateway, type Gateway, type GatewayOptions } from "../gateway.ts";
import { createTestDatabase, createTestRedisPrefix, TEST_REDIS_URL, type TestDatabase } from "./services.ts";

export interface TestGatewayOptions extends Pick<GatewayOptions, "extraProxyRoutes"> {
  /** Extra environment, as an operator would set it. */
  env?: Record<string, string>;
  /** PGlite in memory + in-memory counters instead of the local services. */
  embedded?: boolean;
  /** A second replica: the same database and Redis prefix as this gateway (it owns and drops them). */
  replicaOf?: TestGateway;
}

export interface TestGateway {
  gateway: Gateway;
  config: GatewayConfig;
  proxyUrl: string;
  controlUrl: string;
  /** The operator token seeded through GATEWAY_ADMIN_TOKEN (tests that rotate update it). */
  operatorToken: string;
  /** Every JSON log line the gateway wrote. */
  logs: string[];
  /** Lines the gateway printed outside the logger (the bootstrap token line). */
  printed: string[];
  database: TestDatabase | null;
  redisPrefix: string | null;
  adminFetch(path: string, init?: RequestInit): Promise<Response>;
  /** Graceful shutdown, then drops the database and the Redis keys. */
  stop(): Promise<void>;
}

export function newOperatorToken(): string {
  return formatCredential("op_live_", crypto.getRandomValues(new Uint8Array(32)));
}

export function testConfig(env: Record<string, string>): GatewayConfig {
  const result = parseConfig({
    GATEWAY_BIND_ADDR: "127.0.0.1:0",
    GATEWAY_CONTROL_BIND_ADDR: "127.0.0.1:0",
    LOG_LEVEL: "info",
    ...env,
  });
  if (!result.ok) throw new Error(`test config invalid: ${result.errors.join("; ")}`);
  return result.config;
}

/** An in-process gateway on ephemeral ports with its own database and Redis key prefix. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const replicaOf = options.replicaOf;
  const database = options.embedded || replicaOf ? null : await createTestDatabase();
  const redis = options.embedded || replicaOf ? null : createTestRedisPrefix();
  const operatorToken = options.env?.GATEWAY_ADMIN_TOKEN ?? options.replicaOf?.operatorToken ?? newOperatorToken();
  const spillDir = join(tmpdir(), `relayna-test-spill-${crypto.randomUUID()}`);
  const config = testConfig({
    GATEWAY_ADMIN_TOKEN: operatorToken,
    // Never share spill files with another test's database.
    USAGE_SPILL_DIR: spillDir,
    ...(database ? { DATABASE_URL: database.url } : { GATEWAY_DATA_DIR: "memory://" }),
    ...(redis ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix } : {}),
    ...(replicaOf && {
      DATABASE_URL: replicaOf.config.databaseUrl!,
      REDIS_URL: replicaOf.config.redisUrl!,
      REDIS_KEY_PREFIX: replicaOf.config.redisKeyPrefix,
    }),
    ...options.env,
  });
  const logs: string[] = [];
  const printed: string[] = [];
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, {
      logDestination: { write: (line: string) => void logs.push(line) },
      printToken: (line) => void printed.push(line),
      extraProxyRoutes: options.extraProxyRoutes,
    });
  } catch (err) {
    await database?.drop();
    throw err;
  }
  const handle: TestGateway = {
    gateway,
    config,
    proxyUrl: gateway.proxyUrl,
    controlUrl: gateway.controlUrl,
    operatorToken,
    logs,
    printed,
    database,
    redisPrefix: redis?.prefix ?? null,
    adminFetch: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${handle.operatorToken}`);
      return fetch(`${gateway.controlUrl}${path}`, { ...init, headers });
    },
    async stop() {
      await gateway.shutdown();
      await database?.drop();
      await redis?.cleanup();
      rmSync(spillDir, { recursive: true, force: true });
    },
  };
  return handle;
}
