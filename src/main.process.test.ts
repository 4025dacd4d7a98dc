import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnGateway } from "./testing/process.ts";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "relayna-gw-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const EPHEMERAL = { GATEWAY_BIND_ADDR: "127.0.0.1:0", GATEWAY_CONTROL_BIND_ADDR: "127.0.0.1:0" };

describe("configuration errors", () => {
  test("GATEWAY_BIND_ADDR=nonsense exits non-zero with one line naming it", async () => {
    const gw = spawnGateway(["bun", "src/main.ts"], { GATEWAY_BIND_ADDR: "nonsense" });
    expect(await gw.exited).not.toBe(0);
    expect(gw.stderr).toEqual([
      "relayna-gateway: invalid configuration: GATEWAY_BIND_ADDR must be host:port with a port from 0 to 65535 (e.g. 0.0.0.0:8080)",
    ]);
    expect(gw.stdout).toEqual([]);
  });

  test("several invalid variables: one line each, all of them", async () => {
    const gw = spawnGateway(["bun", "src/main.ts"], {
      GATEWAY_CONTROL_BIND_ADDR: "8081",
      REDIS_URL: "nope",
      LOG_LEVEL: "loud",
    });
    expect(await gw.exited).not.toBe(0);
    expect(gw.stderr.map((l) => l.split(": ")[2]?.split(" ")[0])).toEqual([
      "GATEWAY_CONTROL_BIND_ADDR",
      "REDIS_URL",
      "LOG_LEVEL",
    ]);
  });
});

describe("embedded mode (no DATABASE_URL, no REDIS_URL)", () => {
  test("first start prints the operator token once, is ready, and a second start prints none", async () => {
    const dataDir = tempDir();
    const first = spawnGateway(["bun", "src/dev.ts"], { ...EPHEMERAL, GATEWAY_DATA_DIR: dataDir });
    const tokenLine = await first.waitForLine((l) => l.startsWith("Relayna Gateway operator token: "));
    expect(tokenLine).toMatch(/^Relayna Gateway operator token: op_live_[0-9a-f]{64}$/);
    const token = tokenLine.split(": ")[1]!;
    const { control } = await first.ports();
    const ready = await fetch(`http://127.0.0.1:${control}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { postgres: "ok", redis: "ok" } });
    expect(first.stderr.join("\n")).toContain("DEV MODE");
    expect(first.stdout.some((l) => l.includes("embedded mode"))).toBe(true);
    first.proc.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.stdout.filter((l) => l.includes("operator token:"))).toHaveLength(1);

    const second = spawnGateway(["bun", "src/main.ts"], { ...EPHEMERAL, GATEWAY_DATA_DIR: dataDir });
    const ports = await second.ports();
    expect((await fetch(`http://127.0.0.1:${ports.control}/readyz`)).status).toBe(200);
    // The token of the first start still authenticates (a rotate proves it).
    const rotated = await fetch(`http://127.0.0.1:${ports.control}/admin/operator-token/rotate`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(rotated.status).toBe(201);
    second.proc.kill("SIGINT");
    expect(await second.exited).toBe(0);
    expect(second.stdout.some((l) => l.includes("operator token:"))).toBe(false);
    expect(second.stdout.join("\n")).not.toContain(token);
  });

  test("SIGTERM while a slow request is in flight: it completes, then the process exits 0", async () => {
    const gw = spawnGateway(["bun", "src/testing/fixtures/slow-route-gateway.ts"], {
      ...EPHEMERAL,
      GATEWAY_DATA_DIR: "memory://",
    });
    const { proxy, control } = await gw.ports();
    const started = performance.now();
    const inFlight = fetch(`http://127.0.0.1:${proxy}/test/slow?ms=1500`);
    await Bun.sleep(300);
    gw.proc.kill("SIGTERM");
    await gw.waitForLine((l) => l.includes("shutting down"));
    await expect(fetch(`http://127.0.0.1:${control}/healthz`)).rejects.toThrow();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ slow: "done" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(1400);
    expect(await gw.exited).toBe(0);
    expect(gw.stdout.some((l) => l.includes('"drained":true'))).toBe(true);
  });

  test("a listener that cannot bind is fatal at startup", async () => {
    const holder = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    try {
      const gw = spawnGateway(["bun", "src/main.ts"], {
        GATEWAY_BIND_ADDR: "127.0.0.1:0",
        GATEWAY_CONTROL_BIND_ADDR: `127.0.0.1:${holder.port}`,
        GATEWAY_DATA_DIR: "memory://",
      });
      expect(await gw.exited).toBe(1);
      expect(gw.stderr.join("\n")).toContain("relayna-gateway: startup failed:");
    } finally {
      await holder.stop(true);
    }
  });

  test("an unreachable DATABASE_URL aborts startup (migrations cannot run)", async () => {
    const gw = spawnGateway(["bun", "src/main.ts"], {
      ...EPHEMERAL,
      DATABASE_URL: "postgres://relayna:secret-pw@127.0.0.1:1/relayna",
    });
    expect(await gw.exited).toBe(1);
    const output = [...gw.stdout, ...gw.stderr].join("\n");
    expect(output).toContain("relayna-gateway: startup failed:");
    expect(output).not.toContain("secret-pw");
  });
});
