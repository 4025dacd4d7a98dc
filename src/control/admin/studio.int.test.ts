import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeStudio, type FakeStudio } from "../../testing/fake-studio.ts";
import { integrationServices } from "../../testing/services.ts";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { expectError, ISO } from "./admin-test-helpers.ts";
import { recordingClient } from "./services-test-helpers.ts";

const services = await integrationServices();
const ENV_TOKEN = "env-studio-token-never-shown";
const PERSISTED_TOKEN = "persisted-studio-token-never-shown";

interface Connection {
  base_url: string | null;
  token_configured: boolean;
  source: string;
  updated_at: string | null;
}

describe.skipIf(!services.postgres || !services.redis)("admin Studio connection (PostgreSQL + Redis)", () => {
  let gw: TestGateway;
  let envStudio: FakeStudio;
  let otherStudio: FakeStudio;
  const { bodies, send, ok } = recordingClient(() => gw);
  const connection = (method = "GET", body?: unknown) => ok<Connection>(method, "/admin/studio/connection", body);
  const studioTest = () => send("POST", "/admin/studio/connection/test");

  beforeAll(async () => {
    envStudio = startFakeStudio({ token: ENV_TOKEN });
    otherStudio = startFakeStudio({ token: PERSISTED_TOKEN, rows: [{ studio_service_id: "only-one" }] });
    gw = await startTestGateway({ env: { RELAYNA_STUDIO_BASE_URL: envStudio.url, RELAYNA_STUDIO_TOKEN: ENV_TOKEN } });
  });
  afterAll(async () => {
    await gw?.stop();
    await envStudio?.stop();
    await otherStudio?.stop();
  });

  test("the environment fallback applies until something is persisted", async () => {
    expect(await connection()).toEqual({
      base_url: envStudio.url,
      token_configured: true,
      source: "environment",
      updated_at: null,
    });
    expect(await ok("POST", "/admin/studio/connection/test")).toEqual({ ok: true, service_count: 2 });
    expect(envStudio.requests.at(-1)).toEqual({
      path: "/studio/gateway/services",
      authorization: `Bearer ${ENV_TOKEN}`,
    });
  });

  test("a persisted URL and token take effect on the next call; clearing the URL returns to the environment", async () => {
    const persisted = await connection("PATCH", { base_url: `${otherStudio.url}/`, token: PERSISTED_TOKEN });
    expect(persisted).toEqual({
      base_url: `${otherStudio.url}/`,
      token_configured: true,
      source: "persisted",
      updated_at: expect.stringMatching(ISO),
    });
    expect(await connection()).toEqual(persisted);
    expect(await ok("POST", "/admin/studio/connection/test")).toEqual({ ok: true, service_count: 1 });
    expect(otherStudio.requests.at(-1)!.authorization).toBe(`Bearer ${PERSISTED_TOKEN}`);

    // The token alone: the persisted URL stays.
    expect(await connection("PATCH", { token: null })).toMatchObject({
      base_url: `${otherStudio.url}/`,
      token_configured: false,
      source: "persisted",
    });
    await expectError(
      await studioTest(),
      "studio_unavailable",
      "answered HTTP 401: Studio requires a token and none is configured",
    );
    await connection("PATCH", { token: "wrong-token" });
    await expectError(
      await studioTest(),
      "studio_unavailable",
      "answered HTTP 401: does the configured Studio token match",
    );

    const cleared = await connection("PATCH", { base_url: null });
    expect(cleared).toEqual({
      base_url: envStudio.url,
      token_configured: true,
      source: "environment",
      updated_at: expect.stringMatching(ISO),
    });
    expect(await ok("POST", "/admin/studio/connection/test")).toEqual({ ok: true, service_count: 2 });
    // The persisted token went with the URL: setting a URL again starts without one.
    expect(await connection("PATCH", { base_url: otherStudio.url })).toMatchObject({
      source: "persisted",
      token_configured: false,
    });
    // A blank URL clears too (a form's empty field).
    expect(await connection("PATCH", { base_url: "  " })).toMatchObject({
      source: "environment",
      base_url: envStudio.url,
    });
  });

  test("invalid payloads ⇒ 400 invalid_studio_connection_payload naming the field, nothing changed", async () => {
    const before = await connection();
    const cases: [unknown, string][] = [
      [{ base_url: "ftp://studio" }, "field `base_url`: must be an http:// or https:// URL"],
      [{ base_url: "studio:8000" }, "field `base_url`"],
      [{ base_url: "http://admin:hunter2@studio" }, "field `base_url`"],
      [{ base_url: "http://studio?x=1" }, "field `base_url`"],
      [{ base_url: 8000 }, "field `base_url`: must be a string"],
      [{ token: "" }, "field `token`: must not be blank"],
      [{ token: "   " }, "field `token`: must not be blank"],
      [{ token: "two words" }, "field `token`: must not contain whitespace"],
      [{ token: 42 }, "field `token`: must be a string"],
      [{ url: "http://studio" }, "field `url`: is not a known field"],
      ["nope", "not valid JSON"],
    ];
    for (const [body, message] of cases) {
      const text = await expectError(
        await send("PATCH", "/admin/studio/connection", body),
        "invalid_studio_connection_payload",
        message,
      );
      expect(text).not.toContain("hunter2");
    }
    expect(await connection()).toEqual(before);
  });

  test("each Studio failure says which check failed", async () => {
    const failing = startFakeStudio();
    const gone = startFakeStudio();
    const goneUrl = gone.url;
    await gone.stop();
    try {
      const cases: [string, () => void, string][] = [
        [
          `${failing.url}/ui`,
          () => {},
          "answered HTTP 404: is /studio/gateway/services there? The base URL must be Studio's backend, not its UI.",
        ],
        [failing.url, () => void (failing.mode = "server-error"), "answered HTTP 500: Studio itself failed"],
        [failing.url, () => void (failing.mode = "html"), "not JSON: it looks like an HTML page"],
        [failing.url, () => void (failing.mode = "not-a-list"), "JSON that is not a list of services"],
        [goneUrl, () => {}, "could not be reached (connection refused, DNS or TLS failure)"],
      ];
      for (const [url, arrange, message] of cases) {
        arrange();
        await connection("PATCH", { base_url: url });
        const text = await expectError(await studioTest(), "studio_unavailable", message);
        expect(text.startsWith(`Studio at ${new URL(url).origin} `)).toBe(true);
        await expectError(await send("GET", "/admin/studio/services"), "studio_unavailable", message);
        await expectError(await send("POST", "/admin/services/import", { all: true }), "studio_unavailable", message);
      }
    } finally {
      await failing.stop();
      await connection("PATCH", { base_url: null });
    }
  });

  test("no response ever carried a token", () => {
    for (const body of bodies) {
      expect(body).not.toContain(ENV_TOKEN);
      expect(body).not.toContain(PERSISTED_TOKEN);
      expect(body).not.toContain("wrong-token");
    }
  });
});

describe.skipIf(!services.postgres || !services.redis)("admin Studio without any Studio configured", () => {
  let gw: TestGateway;
  const { send, ok } = recordingClient(() => gw);
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test("unset; test, preview and import ⇒ 409 studio_not_configured", async () => {
    expect(await ok("GET", "/admin/studio/connection")).toEqual({
      base_url: null,
      token_configured: false,
      source: "unset",
      updated_at: null,
    });
    const message = "set it with PATCH /admin/studio/connection or RELAYNA_STUDIO_BASE_URL";
    await expectError(await send("POST", "/admin/studio/connection/test"), "studio_not_configured", message);
    await expectError(await send("GET", "/admin/studio/services"), "studio_not_configured", message);
    await expectError(await send("POST", "/admin/services/import", { all: true }), "studio_not_configured", message);
    // A token alone configures nothing.
    expect(await ok("PATCH", "/admin/studio/connection", { token: "lonely-token" })).toMatchObject({
      source: "unset",
      token_configured: false,
    });
    await expectError(await send("POST", "/admin/studio/connection/test"), "studio_not_configured");
  });
});
