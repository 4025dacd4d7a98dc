import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startStubUpstream, type StubUpstream } from "./server.ts";

let stub: StubUpstream;

beforeAll(() => {
  stub = startStubUpstream();
});
afterEach(() => stub.reset());
afterAll(() => stub.stop());

describe("routing", () => {
  test("a base URL with a path prefix reaches every AI endpoint", async () => {
    const client = new OpenAI({ baseURL: `${stub.url}/litellm/v1`, apiKey: "k", maxRetries: 0 });
    const chat = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
    const response = await client.responses.create({ model: "m", input: "hi" });
    const embeddings = await client.embeddings.create({ model: "e", input: "hi" });
    const models = await client.models.list();

    expect(chat.object).toBe("chat.completion");
    expect(response.object).toBe("response");
    expect(embeddings.data).toHaveLength(1);
    expect(models.data.length).toBeGreaterThan(0);
    expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /litellm/v1/chat/completions",
      "POST /litellm/v1/responses",
      "POST /litellm/v1/embeddings",
      "GET /litellm/v1/models",
    ]);
  });

  test("health answers ok, also under a prefix", async () => {
    for (const path of ["/health", "/litellm/health"]) {
      const res = await fetch(`${stub.url}${path}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("ok");
    }
  });

  test("any other path or method is a generic JSON service, steerable like the rest", async () => {
    const res = await fetch(`${stub.url}/internal/things/7?verbose=1`, { method: "DELETE", body: "x" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, method: "DELETE", path: "/internal/things/7?verbose=1" });

    const get = await fetch(`${stub.url}/v1/chat/completions`);
    expect(await get.json()).toEqual({ ok: true, method: "GET", path: "/v1/chat/completions" });

    const failing = await fetch(`${stub.url}/internal/things`, { headers: { "x-stub-status": "503" } });
    expect(failing.status).toBe(503);
    expect(await failing.json()).toEqual({
      error: { message: "stub error", type: "server_error", param: null, code: "stub_error" },
    });
  });
});

describe("recording", () => {
  test("every request is recorded with lowercased headers, raw body and time", async () => {
    const before = Date.now();
    const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] });
    await fetch(`${stub.url}/v1/chat/completions?trace=1`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Trace-Id": "abc", Authorization: "Bearer sk-1" },
      body,
    });
    await fetch(`${stub.url}/v1/embeddings`, { method: "POST", body: "]" });

    expect(stub.requests).toHaveLength(2);
    const [chat, invalid] = stub.requests;
    expect(chat).toMatchObject({
      method: "POST",
      path: "/v1/chat/completions?trace=1",
      bodyText: body,
      headers: { "content-type": "application/json", "x-trace-id": "abc", authorization: "Bearer sk-1" },
    });
    expect(chat?.receivedAt).toBeGreaterThanOrEqual(before);
    expect(chat?.receivedAt).toBeLessThanOrEqual(Date.now());
    expect(invalid).toMatchObject({ path: "/v1/embeddings", bodyText: "]" });
  });

  test("record: false keeps nothing", async () => {
    const quiet = startStubUpstream({ record: false });
    try {
      const res = await fetch(`${quiet.url}/v1/chat/completions`, { method: "POST", body: "{}" });
      expect(res.status).toBe(200);
      expect(quiet.requests).toEqual([]);
    } finally {
      await quiet.stop();
    }
  });
});

describe("defaults", () => {
  const chatContent = async (target: StubUpstream) => {
    const res = await fetch(`${target.url}/v1/chat/completions`, { method: "POST", body: "{}" });
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    return body.choices[0]?.message.content;
  };

  test("start-up defaults, setDefaults and reset", async () => {
    const custom = startStubUpstream({ defaults: { chunkCount: 1, chunkSize: 5 } });
    try {
      expect(await chatContent(custom)).toBe("lorem");
      custom.setDefaults({ chunkCount: 2 });
      expect(await chatContent(custom)).toBe("lorem ipsu");
      expect(custom.requests).toHaveLength(2);
      custom.reset();
      expect(custom.requests).toEqual([]);
      expect(await chatContent(custom)).toBe("lorem");
    } finally {
      await custom.stop();
    }
  });

  test("bad start-up defaults are refused", () => {
    expect(() => startStubUpstream({ defaults: { chunkCount: -1 } })).toThrow(TypeError);
  });
});

describe("standalone", () => {
  test("`bun stub-upstream.ts --port N` prints one line and serves", async () => {
    const entry = new URL("../stub-upstream.ts", import.meta.url).pathname;
    const child = Bun.spawn(["bun", entry, "--port", "0"], { stdout: "pipe", stderr: "inherit" });
    try {
      const reader = child.stdout.getReader();
      let output = "";
      while (!output.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        output += new TextDecoder().decode(value);
      }
      const match = /^stub upstream listening on (http:\/\/127\.0\.0\.1:(\d+))\n$/.exec(output);
      expect(match).not.toBeNull();
      expect(Number(match?.[2])).toBeGreaterThan(0);
      const res = await fetch(`${match?.[1]}/health`);
      expect(await res.text()).toBe("ok");
    } finally {
      child.kill();
      await child.exited;
    }
  });
});
