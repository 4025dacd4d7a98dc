import type { Server } from "bun";
import type { ProxyApp } from "./http/app.ts";
import type { DestinationStream } from "pino";
import { formatBindAddress } from "./config/bind-address.ts";
import type { GatewayConfig } from "./config/config.ts";
import { createControlApp } from "./control/app.ts";
import { createLoggers, type GatewayLoggers } from "./http/logger.ts";
import { createHttpMetrics } from "./http/metrics.ts";
import { drain, listen } from "./http/serve.ts";
import { createProxyApp } from "./proxy/app.ts";
import { createProxyMetrics } from "./proxy/metrics.ts";
import { createHotCache, type HotCache } from "./store/cache/hot-cache.ts";
import { openCounters } from "./store/counters/open.ts";
import type { CountersStore } from "./store/counters/types.ts";
import { connectPostgres, openPglite, type Database } from "./store/db.ts";
import { createOperatorTokens } from "./store/repos/operator-tokens.ts";
import { createKeySeeder } from "./store/spend-rebuild.ts";
import { createGuardrailMetrics } from "./guardrails/metrics.ts";
import { createGuardrailEventWriter } from "./store/guardrail-events.ts";
import { createUsageLedger, type UsageLedger } from "./store/usage-ledger.ts";
import { createUsagePartitionMaintenance } from "./store/usage-partitions.ts";

export interface GatewayOptions {
  /** Where JSON logs go (default stdout). */
  logDestination?: DestinationStream;
  /** Prints the one-time operator token line (default: stdout). */
  printToken?: (line: string) => void;
  /** Prefix of every Redis key this gateway writes. */
  redisKeyPrefix?: string;
  extraProxyRoutes?: (proxy: ProxyApp) => void;
}

export interface Gateway {
  config: GatewayConfig;
  loggers: GatewayLoggers;
  database: Database;
  counters: CountersStore;
  cache: HotCache;
  ledger: UsageLedger;
  proxyUrl: string;
  controlUrl: string;
  /** Writes the operator tokens' in-memory last-use times now (also runs every 30 s). */
  flushLastUsed(): Promise<void>;
  /** Graceful stop (contract 1.2); resolves once everything is flushed and closed. */
  shutdown(): Promise<{ drained: boolean }>;
}

const READINESS_TIMEOUT_MS = 1000;
const LAST_USED_FLUSH_MS = 30_000;

function urlOf(server: Server<undefined>): string {
  return `http://${formatBindAddress({ hostname: server.hostname ?? "127.0.0.1", port: server.port ?? 0 })}`;
}

async function openDatabase(config: GatewayConfig): Promise<Database> {
  return config.databaseUrl ? connectPostgres(config.databaseUrl) : openPglite(config.dataDir);
}

/**
 * Composition root (contract 1.2): config → logs → database + migrations → operator token →
 * counters (Redis, lazy) → both listeners. Any failure before the listeners are bound aborts.
 */
export async function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const loggers = createLoggers({
    levels: config.logLevels,
    destination: options.logDestination,
    knownSecrets: [
      config.litellm?.serviceKey,
      config.directOpenai?.serviceKey,
      config.studio.token,
      config.workerToken,
      config.adminToken,
    ],
  });
  const log = loggers.gateway;
  if (!config.databaseUrl || !config.redisUrl) {
    log.warn(
      { postgres: config.databaseUrl ? "external" : "embedded", redis: config.redisUrl ? "external" : "in-memory" },
      "embedded mode: state lives in this process and its data directory; run one replica only",
    );
  }

  const database = await openDatabase(config);
  const cleanup: (() => Promise<unknown>)[] = [() => database.close()];
  try {
    const { applied } = await database.migrate();
    log.info({ applied, database: database.kind }, "migrations applied");
    // Usage partitions ahead of time and retention: now, then daily (one replica at a time).
    const partitions = createUsagePartitionMaintenance({
      db: database.db,
      logger: log,
      retentionMonths: config.usageRetentionMonths,
    });
    partitions.start();
    cleanup.unshift(() => partitions.stop());

    const operatorTokens = createOperatorTokens(database.db);
    const { created, generated } = await operatorTokens.bootstrap(config.adminToken);
    if (generated) (options.printToken ?? ((line) => process.stdout.write(`${line}\n`)))(`Relayna Gateway operator token: ${generated}`);
    else if (created) log.info("operator token seeded from GATEWAY_ADMIN_TOKEN");

    const counters = openCounters(config.redisUrl, options.redisKeyPrefix ?? config.redisKeyPrefix, log);
    cleanup.unshift(() => counters.close());

    const metrics = createHttpMetrics();
    const ledger = createUsageLedger({
      database,
      logger: log,
      registry: metrics.registry,
      spillDir: config.usageSpillDir,
    });
    cleanup.unshift(() => ledger.close(5_000));
    const guardrailEvents = createGuardrailEventWriter({ database, logger: log, registry: metrics.registry });
    cleanup.unshift(() => guardrailEvents.close(5_000));
    const cache = await createHotCache({
      db: database.db,
      envLitellm: config.litellm,
      redisUrl: config.redisUrl,
      redisKeyPrefix: options.redisKeyPrefix ?? config.redisKeyPrefix,
      logger: log,
    });
    cleanup.unshift(() => cache.close());
    const readiness = {
      postgres: () => database.ping(READINESS_TIMEOUT_MS),
      redis: () => counters.ping(),
    };
    const proxyApp = createProxyApp({
      logger: loggers.proxy,
      metrics,
      proxyMetrics: createProxyMetrics(metrics.registry),
      cache,
      ledger,
      counters,
      guardrailEvents,
      guardrailMetrics: createGuardrailMetrics(metrics.registry),
      seedKey: createKeySeeder({ db: database.db, counters, ledger }),
      directOpenai: config.directOpenai,
      workerToken: config.workerToken,
      upstreamTimeoutMs: config.upstreamTimeoutMs,
      random: (size) => crypto.getRandomValues(new Uint8Array(size)),
      extraRoutes: options.extraProxyRoutes,
    });
    const controlApp = createControlApp({
      logger: loggers.api,
      metrics,
      readiness,
      operatorTokens,
      db: database.db,
      invalidate: cache.invalidate,
      studioEnv: config.studio,
      cache,
    });

    const proxy = listen(proxyApp.fetch, config.proxyBind, { idleTimeoutSeconds: 255 });
    cleanup.unshift(() => proxy.stop(true));
    const control = listen(controlApp.fetch, config.controlBind, { idleTimeoutSeconds: 60 });
    log.info({ listener: "proxy", address: formatBindAddress(config.proxyBind), port: proxy.port }, "proxy listening");
    log.info({ listener: "control", address: formatBindAddress(config.controlBind), port: control.port }, "control listening");

    const flusher = setInterval(() => {
      operatorTokens.flushLastUsed().catch((err) => log.warn({ err }, "operator token last-use flush failed"));
    }, LAST_USED_FLUSH_MS);
    flusher.unref();

    let stopping: Promise<{ drained: boolean }> | null = null;
    const shutdown = () =>
      (stopping ??= (async () => {
        log.info({ grace_ms: config.shutdownGraceMs }, "shutting down: draining in-flight requests");
        const drained = await drain([proxy, control], config.shutdownGraceMs);
        clearInterval(flusher);
        await operatorTokens.flushLastUsed().catch((err) => log.warn({ err }, "operator token last-use flush failed"));
        await ledger.close(Math.max(5_000, config.shutdownGraceMs));
        await guardrailEvents.close(5_000);
        await cache.close();
        await counters.close();
        await partitions.stop();
        await database.close();
        log.info({ drained }, "stopped");
        return { drained };
      })());

    return {
      config,
      loggers,
      database,
      counters,
      cache,
      ledger,
      proxyUrl: urlOf(proxy),
      controlUrl: urlOf(control),
      flushLastUsed: () => operatorTokens.flushLastUsed(),
      shutdown,
    };
  } catch (err) {
    for (const close of cleanup) await close().catch(() => {});
    throw err;
  }
}
