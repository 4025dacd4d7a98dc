import { afterAll, expect, test } from "bun:test";
import { startFakeStudio } from "../testing/fake-studio.ts";
import { catalogRows, fetchStudioCatalog, type StudioFailureKind } from "./catalog-client.ts";

const TOKEN = "studio-token-never-shown";
const studio = startFakeStudio({ token: TOKEN });
afterAll(() => studio.stop());

async function failure(
  baseUrl: string,
  token: string | null,
  kind: StudioFailureKind,
  message: string,
  timeoutMs = 2_000,
) {
  const result = await fetchStudioCatalog({ baseUrl, token }, { timeoutMs });
  expect(result).toEqual({ ok: false, kind, message: expect.stringContaining(message) });
  if (!result.ok) expect(result.message).not.toContain(TOKEN);
  return result;
}

test("healthy: the rows, with the bearer token, from a base URL with or without a trailing slash", async () => {
  studio.mode = "healthy";
  for (const base of [studio.url, `${studio.url}/`]) {
    const result = await fetchStudioCatalog({ baseUrl: base, token: TOKEN });
    expect(result).toEqual({ ok: true, rows: studio.rows });
  }
  expect(studio.requests.at(-1)).toEqual({ path: "/studio/gateway/services", authorization: `Bearer ${TOKEN}` });
  studio.bareArray = true;
  expect(await fetchStudioCatalog({ baseUrl: studio.url, token: TOKEN })).toEqual({ ok: true, rows: studio.rows });
  studio.bareArray = false;
});

test("token: missing or wrong ⇒ the token question", async () => {
  await failure(studio.url, null, "unauthorized", "HTTP 401: Studio requires a token and none is configured");
  await failure(studio.url, "wrong", "unauthorized", "HTTP 401: does the configured Studio token match");
  expect(studio.requests.at(-1)!.authorization).toBe("Bearer wrong");
});

test("wrong path (the UI, or a path prefix missing) ⇒ the path question", async () => {
  await failure(
    `${studio.url}/ui`,
    TOKEN,
    "not_found",
    "HTTP 404: is /studio/gateway/services there? The base URL must be Studio's backend, not its UI.",
  );
});

test("unreachable ⇒ the reachability question", async () => {
  const gone = startFakeStudio();
  const url = gone.url;
  await gone.stop();
  await failure(url, null, "unreachable", "could not be reached (connection refused, DNS or TLS failure)");
});

test("5xx, HTML, JSON of another shape", async () => {
  studio.mode = "server-error";
  await failure(studio.url, TOKEN, "server_error", "answered HTTP 500: Studio itself failed");
  studio.mode = "html";
  await failure(
    studio.url,
    TOKEN,
    "not_json",
    "not JSON: it looks like an HTML page: is the base URL Studio's backend, not its UI?",
  );
  studio.mode = "not-a-list";
  await failure(studio.url, TOKEN, "wrong_shape", "JSON that is not a list of services");
  studio.mode = "healthy";
});

test("slow headers and a slow body both end at the one deadline", async () => {
  for (const mode of ["slow", "slow-body"] as const) {
    studio.mode = mode;
    const started = performance.now();
    await failure(studio.url, TOKEN, "timeout", "did not answer within 0.3 s: is the backend base URL reachable", 300);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1_500);
  }
  studio.mode = "healthy";
});

test("redirects are not followed (the token stays here)", async () => {
  const redirecting = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () => Response.redirect("http://elsewhere.invalid/", 302),
  });
  try {
    await failure(`http://127.0.0.1:${redirecting.port}`, TOKEN, "redirect", "answered a redirect (HTTP 302)");
  } finally {
    await redirecting.stop(true);
  }
});

test("catalogRows accepts {services: [...]} or an array", () => {
  expect(catalogRows([1])).toEqual([1]);
  expect(catalogRows({ services: [2] })).toEqual([2]);
  for (const other of [null, 1, "x", {}, { services: {} }, { data: [] }]) expect(catalogRows(other)).toBeNull();
});
