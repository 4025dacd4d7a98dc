import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestKey } from "../testing/fixtures/keys.ts";
import { startProxyFixture, type ProxyFixture } from "../testing/proxy-fixture.ts";
import { integrationServices } from "../testing/services.ts";
import { eq } from "drizzle-orm";
import { usageEvents } from "../store/schema.ts";

const services = await integrationServices();
const messages = [{ role: "user" as const, content: "Stream me something" }];

describe.skipIf(!services.postgres || !services.redis)("streaming through the gateway", () => {
  let fx: ProxyFixture;
  let key: TestKey;
  beforeAll(async () => {
    fx = await startProxyFixture();
    key = await fx.key({ policy: { allowStreaming: true } });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  test("a client that did not ask for usage sees no usage chunk; the row has tokens and first-token latency", async () => {
    fx.stub.reset();
    const { data: stream, response } = await fx
      .client(key.raw)
      .chat.completions.create({ model: "m", messages, stream: true })
      .withResponse();
    let text = "";
    let usageChunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage || chunk.choices.length === 0) usageChunks++;
    }
    expect(text).toBe("lorem ipsum dolor sit amet consectetur a");
    expect(usageChunks).toBe(0);
    // The gateway asked the upstream for usage on the client's behalf.
    expect(JSON.parse(fx.stub.requests[0]!.bodyText).stream_options).toEqual({ include_usage: true });
    const row = await fx.usageRow(response.headers.get("x-request-id")!);
    expect(row).toMatchObject({ stream: true, status: "success", inputTokens: 5, outputTokens: 10, totalTokens: 15 });
    expect(row.firstTokenMs).toBeGreaterThanOrEqual(0);
  });

  test("a client that asked for usage gets the usage chunk, untouched request body", async () => {
    fx.stub.reset();
    const stream = await fx.client(key.raw).chat.completions.create({ model: "m", messages, stream: true, stream_options: { include_usage: true } });
    const usage = [];
    for await (const chunk of stream) if (chunk.usage) usage.push(chunk.usage);
    expect(usage).toEqual([{ prompt_tokens: 5, completion_tokens: 10, total_tokens: 15 }]);
    expect(fx.stub.requests[0]!.bodyText).toBe(
      '{"model":"m","messages":[{"role":"user","content":"Stream me something"}],"stream":true,"stream_options":{"include_usage":true}}',
    );
  });

  test("bytes reach the client as they arrive, with the first-token latency recorded", async () => {
    const started = performance.now();
    const { data: stream, response } = await fx
      .client(key.raw, { headers: { "x-stub-chunk-delay-ms": "150", "x-stub-chunk-count": "4" } })
      .chat.completions.create({ model: "m", messages, stream: true })
      .withResponse();
    let firstContentAt = 0;
    for await (const chunk of stream) {
      if (!firstContentAt && chunk.choices[0]?.delta.content) firstContentAt = performance.now() - started;
    }
    const total = performance.now() - started;
    expect(firstContentAt).toBeLessThan(400);
    expect(total).toBeGreaterThanOrEqual(550);
    const row = await fx.usageRow(response.headers.get("x-request-id")!);
    expect(row.firstTokenMs).toBeGreaterThanOrEqual(140);
    expect(row.firstTokenMs).toBeLessThan(400);
  });

  test("a client abort mid-stream cancels the upstream within 100 ms and writes a row", async () => {
    const abortsBefore = fx.stub.aborted;
    const controller = new AbortController();
    const { data: stream, response } = await fx
      .client(key.raw, { headers: { "x-stub-chunk-delay-ms": "200", "x-stub-chunk-count": "50" } })
      .chat.completions.create({ model: "m", messages, stream: true }, { signal: controller.signal })
      .withResponse();
    let chunks = 0;
    let abortedAt = 0;
    try {
      for await (const _ of stream) {
        if (++chunks === 3) {
          abortedAt = performance.now();
          controller.abort();
        }
      }
    } catch {
      // The SDK reports the abort.
    }
    while (fx.stub.aborted === abortsBefore && performance.now() - abortedAt < 1000) await Bun.sleep(5);
    expect(fx.stub.aborted).toBe(abortsBefore + 1);
    expect(performance.now() - abortedAt).toBeLessThan(100);
    const row = await fx.usageRow(response.headers.get("x-request-id")!);
    expect(row).toMatchObject({ stream: true, status: "failure", errorCode: "client_aborted" });
  });

  test("an upstream that dies mid-stream ends the client stream cleanly; the row says so", async () => {
    const { data: stream, response } = await fx
      .client(key.raw, { headers: { "x-stub-drop-mid-stream": "1", "x-stub-chunk-count": "6" } })
      .chat.completions.create({ model: "m", messages, stream: true })
      .withResponse();
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThan(48);
    const row = await fx.usageRow(response.headers.get("x-request-id")!);
    expect(row).toMatchObject({ stream: true, status: "failure", errorCode: "upstream_stream_error", statusCode: 200 });
  });
});

describe.skipIf(!services.postgres || !services.redis)("an upstream that answers the headers of a stream, then nothing", () => {
  // Raw TCP: Bun's own server sends no response head before the first byte of the body.
  let upstream: Bun.TCPSocketListener;
  let closed = 0;
  let fx: ProxyFixture;
  beforeAll(async () => {
    upstream = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(socket) {
          socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n");
        },
        close: () => void closed++,
      },
    });
    fx = await startProxyFixture({ env: { LITELLM_BASE_URL: `http://127.0.0.1:${upstream.port}` } });
  });
  afterAll(async () => {
    await fx?.stop();
    upstream?.stop(true);
  });

  test("a client leaving before the first byte: the upstream is closed and the row says client_aborted", async () => {
    const key = await fx.key({ policy: { allowStreaming: true } });
    const controller = new AbortController();
    const response = fetch(`${fx.gw.proxyUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key.raw}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages, stream: true }),
      signal: controller.signal,
    }).catch((err: unknown) => err);
    await Bun.sleep(150);
    controller.abort();
    expect(await response).toMatchObject({ name: "AbortError" });
    for (let i = 0; i < 40 && closed === 0; i++) await Bun.sleep(25);
    expect(closed).toBe(1);
    await fx.gw.gateway.ledger.flush();
    const rows = await fx.gw.gateway.database.db.select().from(usageEvents).where(eq(usageEvents.keyId, key.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stream: true, status: "failure", errorCode: "client_aborted" });
  });
});
