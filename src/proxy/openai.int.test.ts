import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integrationServices } from "../testing/services.ts";
import { ALL_AI_ROUTES, startProxyFixture, UPSTREAM_KEY, type ProxyFixture } from "../testing/proxy-fixture.ts";
import type { TestKey } from "../testing/fixtures/keys.ts";

const services = await integrationServices();
const WORKER_TOKEN = "worker-token-0123456789";

describe.skipIf(!services.postgres || !services.redis)("OpenAI-compatible proxy with the official SDK", () => {
  let fx: ProxyFixture;
  let key: TestKey;
  beforeAll(async () => {
    fx = await startProxyFixture({ env: { RELAYNA_WORKER_TOKEN: WORKER_TOKEN } });
    key = await fx.key({ project: true, policy: { allowedRoutes: ALL_AI_ROUTES, allowStreaming: true } });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  test("chat completion: correct result, usage row, upstream sees only what it should", async () => {
    fx.stub.reset();
    const { data, response } = await fx
      .client(key.raw)
      .chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello there" }] })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.choices[0]!.message.content).toBe("lorem ipsum dolor sit amet consectetur a");
    expect(data.usage).toEqual({ prompt_tokens: 3, completion_tokens: 10, total_tokens: 13 });
    const requestId = response.headers.get("x-request-id")!;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);

    const [seen] = fx.stub.requests;
    expect(seen!.path).toBe("/litellm/v1/chat/completions");
    expect(seen!.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(seen!.headers.host).toBe(new URL(fx.stub.url).host);
    expect(seen!.headers["x-relayna-request-id"]).toBe(requestId);
    expect(seen!.headers["x-relayna-key-id"]).toBe(key.id);
    expect(seen!.headers["x-relayna-project-id"]).toBe(key.projectId!);
    expect(seen!.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(JSON.stringify(seen!.headers)).not.toContain(key.raw);
    // Forwarded byte for byte: the SDK's own serialisation reached the upstream unchanged.
    expect(seen!.bodyText).toBe('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello there"}]}');

    expect(await fx.usageRow(requestId)).toMatchObject({
      keyId: key.id,
      projectId: key.projectId,
      route: "/v1/chat/completions",
      model: "gpt-4o-mini",
      provider: "litellm",
      status: "success",
      statusCode: 200,
      errorCode: null,
      stream: false,
      inputTokens: 3,
      outputTokens: 10,
      totalTokens: 13,
      estimatedCostUsd: 0.01,
      fallbackCount: 0,
      taskId: null,
    });
  });

  test("reported cost (LiteLLM header or usage.cost) wins over the estimate", async () => {
    const { response } = await fx
      .client(key.raw, { headers: { "x-stub-cost": "0.0042" } })
      .chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] })
      .withResponse();
    expect((await fx.usageRow(response.headers.get("x-request-id")!)).estimatedCostUsd).toBe(0.0042);
  });

  test("responses API, plain and streamed", async () => {
    const client = fx.client(key.raw);
    const plain = await client.responses.create({ model: "m", input: "Say something" });
    expect(plain.output_text).toBe("lorem ipsum dolor sit amet consectetur a");
    expect(plain.usage?.total_tokens).toBe(14);

    const { data: stream, response } = await client.responses.create({ model: "m", input: "Say something", stream: true }).withResponse();
    let text = "";
    let completed = false;
    for await (const event of stream) {
      if (event.type === "response.output_text.delta") text += event.delta;
      if (event.type === "response.completed") completed = true;
    }
    expect(text).toBe("lorem ipsum dolor sit amet consectetur a");
    expect(completed).toBe(true);
    const row = await fx.usageRow(response.headers.get("x-request-id")!);
    expect(row).toMatchObject({ route: "/v1/responses", stream: true, status: "success", inputTokens: 4, outputTokens: 10 });
    expect(row.firstTokenMs).not.toBeNull();
  });

  test("embeddings", async () => {
    const { data, response } = await fx.client(key.raw).embeddings.create({ model: "text-embedding-3-small", input: ["a", "bb"] }).withResponse();
    expect(data.data).toHaveLength(2);
    expect(data.data[0]!.embedding).toHaveLength(8);
    expect(await fx.usageRow(response.headers.get("x-request-id")!)).toMatchObject({ route: "/v1/embeddings", inputTokens: 1, status: "success" });
  });

  test("trusted workers' task and run ids are recorded and forwarded; untrusted ones are dropped", async () => {
    fx.stub.reset();
    const ids = { "x-relayna-task-id": "task-42", "x-relayna-run-id": "run-7", "x-relayna-project-id": "spoofed" };
    const trusted = await fx
      .client(key.raw, { headers: { ...ids, "x-relayna-worker-token": WORKER_TOKEN } })
      .chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] })
      .withResponse();
    const untrusted = await fx
      .client(key.raw, { headers: { ...ids, "x-relayna-worker-token": "wrong-token-0123456789" } })
      .chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] })
      .withResponse();
    const [first, second] = fx.stub.requests;
    expect(first!.headers["x-relayna-task-id"]).toBe("task-42");
    expect(first!.headers["x-relayna-run-id"]).toBe("run-7");
    expect(first!.headers["x-relayna-worker-token"]).toBeUndefined();
    expect(second!.headers["x-relayna-task-id"]).toBeUndefined();
    for (const seen of [first!, second!]) expect(seen.headers["x-relayna-project-id"]).toBe(key.projectId!);
    expect(await fx.usageRow(trusted.response.headers.get("x-request-id")!)).toMatchObject({ taskId: "task-42", runId: "run-7" });
    expect(await fx.usageRow(untrusted.response.headers.get("x-request-id")!)).toMatchObject({ taskId: null, runId: null });
  });

  test("the query string is kept", async () => {
    fx.stub.reset();
    const res = await fetch(`${fx.gw.proxyUrl}/v1/chat/completions?api-version=2024-10-01&x=1`, {
      method: "POST",
      headers: { authorization: `Bearer ${key.raw}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }] }),
    });
    expect(res.status).toBe(200);
    expect(fx.stub.requests[0]!.path).toBe("/litellm/v1/chat/completions?api-version=2024-10-01&x=1");
  });

  test("the client's content-type is forwarded as sent; a body sent without one goes as JSON", async () => {
    fx.stub.reset();
    const body = new TextEncoder().encode(JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }] }));
    const send = (headers: Record<string, string>) =>
      fetch(`${fx.gw.proxyUrl}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key.raw}`, ...headers }, body });
    expect((await send({ "content-type": "application/json; charset=utf-8" })).status).toBe(200);
    expect((await send({})).status).toBe(200);
    const [declared, undeclared] = fx.stub.requests;
    expect(declared!.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(undeclared!.headers["content-type"]).toBe("application/json");
    for (const seen of [declared!, undeclared!]) expect(seen.headers["accept-encoding"]).toBe("identity");
  });

  test("a client traceparent continues its trace upstream", async () => {
    fx.stub.reset();
    await fx
      .client(key.raw, { headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" } })
      .chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] });
    const sent = fx.stub.requests[0]!.headers.traceparent!;
    expect(sent).toStartWith("00-4bf92f3577b34da6a3ce929d0e0e4736-");
    expect(sent).not.toContain("00f067aa0ba902b7");
  });
});
