import { loadConfig, type GatewayConfig } from "./config/config.ts";
import { startGateway, type GatewayOptions } from "./gateway.ts";
import { createScrubber } from "./http/logger.ts";

/** Parses the environment or exits non-zero with one line per invalid variable. */
export function configOrExit(): GatewayConfig {
  const result = loadConfig();
  if (result.ok) return result.config;
  for (const error of result.errors) console.error(`relayna-gateway: invalid configuration: ${error}`);
  process.exit(1);
}

/**
 * Starts the gateway and owns the process: SIGTERM/SIGINT drain and exit 0; a second signal
 * exits at once. `onStopped` runs after the gateway has flushed and closed (dev extras).
 */
export async function runGateway(config: GatewayConfig, options: GatewayOptions = {}, onStopped?: () => Promise<void>) {
  let gateway;
  try {
    gateway = await startGateway(config, options);
  } catch (err) {
    const scrub = createScrubber([config.litellm?.serviceKey, config.studio.token, config.adminToken]);
    console.error(`relayna-gateway: startup failed: ${scrub(err instanceof Error ? err.message : String(err))}`);
    process.exit(1);
  }
  let signalled = false;
  const stop = async (signal: string) => {
    if (signalled) process.exit(1);
    signalled = true;
    gateway.loggers.gateway.info({ signal }, "signal received");
    await gateway.shutdown();
    await onStopped?.();
    gateway.loggers.gateway.flush();
    // Exit 0 even when the grace period cut a drain short: everything was flushed and closed.
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  return gateway;
}

if (import.meta.main) await runGateway(configOrExit());
