import type { PinoLogger } from "hono-pino";

export type Listener = "proxy" | "control";

export interface AppEnv {
  Variables: {
    requestId: string;
    listener: Listener;
    logger: PinoLogger;
    /** Bounded route id for logs and metrics when the handler knows better than the pattern. */
    routeId?: string;
    operatorTokenId?: string;
    /** The authenticated virtual key (logged; never the key itself). */
    keyId?: string;
  };
}
