import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { spawnGateway } from "../src/testing/process.ts";
import { createTestDatabase, createTestRedisPrefix, integrationServices, TEST_REDIS_URL } from "../src/testing/services.ts";

const services = await integrationServices();
const outDir = mkdtempSync(join(tmpdir(), "relayna-build-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe.skipIf(!services.postgres || !services.redis)("bun run build", () => {
  test("produces one executable that migrates PostgreSQL, uses Redis and answers /readyz", async () => {
    const binary = join(outDir, "relayna-gateway");
    const build = Bun.spawnSync(["bun", "run", "build", binary], { stdout: "pipe", stderr: "pipe" });
    expect(build.exitCode).toBe(0);

    const database = await createTestDatabase();
    const redis = createTestRedisPrefix();
    try {
      // Run it from an empty directory: nothing beside the binary (no drizzle/, no node_modules).
      const gw = spawnGateway([binary], {
        DATABASE_URL: database.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: redis.prefix,
        GATEWAY_BIND_ADDR: "127.0.0.1:0",
        GATEWAY_CONTROL_BIND_ADDR: "127.0.0.1:0",
      }, outDir);
      const { control } = await gw.ports();
      const res = await fetch(`http://127.0.0.1:${control}/readyz`);
      expect(await res.json()).toEqual({ status: "ready", checks: { postgres: "ok", redis: "ok" } });
      expect(res.status).toBe(200);
      expect(gw.stdout.some((l) => l.startsWith("Relayna Gateway operator token: op_live_"))).toBe(true);
      gw.proc.kill("SIGTERM");
      expect(await gw.exited).toBe(0);

      const sql = postgres(database.url, { max: 1, onnotice: () => {} });
      try {
        const [row] = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
        expect(row!.n).toBeGreaterThanOrEqual(2);
      } finally {
        await sql.end();
      }
    } finally {
      await database.drop();
      await redis.cleanup();
    }
  });
});
