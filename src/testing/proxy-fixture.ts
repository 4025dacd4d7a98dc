import { eq } from "drizzle-orm";
import OpenAI from "openai";
import { usageEvents } from "../store/schema.ts";
import { insertTestKey, type TestKey } from "./fixtures/keys.ts";
import { startStubUpstream, type StubUpstream } from "./stub-upstream.ts";
import { startTestGateway, type TestGateway, type TestGatewayOptions } from "./test-gateway.ts";

export const UPSTREAM_KEY = "sk-upstream-service-key";

export interface ProxyFixture {
  stub: StubUpstream;
  gw: TestGateway;
  key(options?: Parameters<typeof insertTestKey>[1]): Promise<TestKey>;
  client(rawKey: string, options?: { headers?: Record<string, string> }): OpenAI;
  /** The usage row of a request id, after flushing the ledger. */
  usageRow(requestId: string): Promise<typeof usageEvents.$inferSelect>;
  stop(): Promise<void>;
}

/** Stub upstream (behind a path prefix, as LiteLLM often is) + a gateway pointed at it. */
export async function startProxyFixture(options: TestGatewayOptions = {}): Promise<ProxyFixture> {
  const stub = startStubUpstream();
  const gw = await startTestGateway({
    ...options,
    env: { LITELLM_BASE_URL: `${stub.url}/litellm`, LITELLM_SERVICE_KEY: UPSTREAM_KEY, ...options.env },
  });
  return {
    stub,
    gw,
    key: (keyOptions) => insertTestKey(gw.gateway.database.db, keyOptions),
    client: (rawKey, clientOptions = {}) =>
      new OpenAI({ apiKey: rawKey, baseURL: `${gw.proxyUrl}/v1`, maxRetries: 0, defaultHeaders: clientOptions.headers }),
    async usageRow(requestId) {
      await gw.gateway.ledger.flush();
      const rows = await gw.gateway.database.db.select().from(usageEvents).where(eq(usageEvents.requestId, requestId));
      if (rows.length !== 1) throw new Error(`expected one usage row for ${requestId}, found ${rows.length}`);
      return rows[0]!;
    },
    async stop() {
      await gw.stop();
      await stub.stop();
    },
  };
}

export const ALL_AI_ROUTES = ["/v1/chat/completions", "/v1/responses", "/v1/embeddings"];
