import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeStudio, type FakeStudio } from "../../testing/fake-studio.ts";
import { integrationServices } from "../../testing/services.ts";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { call, expectError } from "./admin-test-helpers.ts";

const services = await integrationServices();

// The one slow test of the Studio client: the real 8 s deadline, end to end. Shorter deadlines
// (headers and body) are covered in src/studio/catalog-client.test.ts.
describe.skipIf(!services.postgres || !services.redis)("a Studio that never answers", () => {
  let gw: TestGateway;
  let studio: FakeStudio;
  beforeAll(async () => {
    studio = startFakeStudio({ mode: "slow" });
    gw = await startTestGateway({ env: { RELAYNA_STUDIO_BASE_URL: studio.url } });
  });
  afterAll(async () => {
    await gw?.stop();
    await studio?.stop();
  });

  test("502 studio_unavailable after 8 s and within 9 s, saying it timed out", async () => {
    const started = performance.now();
    const res = await call(gw, "POST", "/admin/studio/connection/test");
    const elapsed = performance.now() - started;
    await expectError(
      res,
      "studio_unavailable",
      `Studio at ${studio.url} did not answer within 8 s: is the backend base URL reachable from the gateway`,
    );
    expect(elapsed).toBeGreaterThanOrEqual(8_000);
    expect(elapsed).toBeLessThan(9_000);
  }, 15_000);
});
