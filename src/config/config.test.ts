import { describe, expect, test } from "bun:test";
import { parseConfig } from "./config.ts";

const TOKEN = `op_live_${"a1".repeat(32)}`;

describe("parseConfig", () => {
  test("no environment at all is embedded mode on the contract's defaults", () => {
    const result = parseConfig({});
    expect(result.ok && result.config.usageSpillDir).toEndWith("relayna-usage-spill");
    if (result.ok) result.config.usageSpillDir = "<tmp>";
    expect(result).toEqual({
      ok: true,
      config: {
        proxyBind: { hostname: "0.0.0.0", port: 8080 },
        controlBind: { hostname: "0.0.0.0", port: 8081 },
        databaseUrl: null,
        redisUrl: null,
        redisKeyPrefix: "relayna:",
        dataDir: "./.data",
        usageSpillDir: "<tmp>",
        usageRetentionMonths: 13,
        litellm: null,
        directOpenai: null,
        studio: { baseUrl: null, token: null },
        workerToken: null,
        adminToken: null,
        logLevels: { gateway: "info", api: "info", proxy: "info" },
        shutdownGraceMs: 30_000,
        upstreamTimeoutMs: null,
      },
    });
  });

  test("the seed's production environment parses, values trimmed", () => {
    const result = parseConfig({
      DATABASE_URL: " postgres://user:password@host.docker.internal:5432/relayna_gateway ",
      REDIS_URL: "redis://host.docker.internal:6379",
      LITELLM_BASE_URL: "http://host.docker.internal:4000/litellm",
      LITELLM_SERVICE_KEY: "sk-litellm-service-key",
      RELAYNA_STUDIO_BASE_URL: "http://host.docker.internal:8000",
      GATEWAY_BIND_ADDR: "0.0.0.0:8080",
      GATEWAY_CONTROL_BIND_ADDR: "[::1]:9091",
      LOG_LEVEL: "gateway_api=info,gateway_proxy=info",
      GATEWAY_ADMIN_TOKEN: TOKEN,
      GATEWAY_SHUTDOWN_GRACE_SECONDS: "5",
    });
    if (!result.ok) throw new Error(result.errors.join("\n"));
    expect(result.config.databaseUrl).toBe("postgres://user:password@host.docker.internal:5432/relayna_gateway");
    expect(result.config.litellm).toEqual({
      baseUrl: "http://host.docker.internal:4000/litellm",
      serviceKey: "sk-litellm-service-key",
    });
    expect(result.config.controlBind).toEqual({ hostname: "::1", port: 9091 });
    expect(result.config.studio).toEqual({ baseUrl: "http://host.docker.internal:8000", token: null });
    expect(result.config.adminToken).toBe(TOKEN);
    expect(result.config.shutdownGraceMs).toBe(5000);
  });

  test("USAGE_RETENTION_MONTHS takes 0 (keep forever) to 1200", () => {
    for (const months of [0, 1, 24, 1200]) {
      const result = parseConfig({ USAGE_RETENTION_MONTHS: ` ${months} ` });
      expect(result.ok && result.config.usageRetentionMonths).toBe(months);
    }
  });

  test("empty values mean unset", () => {
    const result = parseConfig({ DATABASE_URL: "  ", REDIS_URL: "", LOG_LEVEL: "" });
    expect(result.ok && result.config.databaseUrl === null && result.config.redisUrl === null).toBe(true);
  });

  const invalid: [Record<string, string>, string][] = [
    [{ GATEWAY_BIND_ADDR: "nonsense" }, "GATEWAY_BIND_ADDR must be host:port"],
    [{ GATEWAY_BIND_ADDR: "0.0.0.0:70000" }, "GATEWAY_BIND_ADDR must be host:port"],
    [{ GATEWAY_CONTROL_BIND_ADDR: "8081" }, "GATEWAY_CONTROL_BIND_ADDR must be host:port"],
    [{ DATABASE_URL: "mysql://x/y" }, "DATABASE_URL must be a postgres:// or postgresql:// URL"],
    [{ REDIS_URL: "localhost:6379" }, "REDIS_URL must be a redis:// or rediss:// URL"],
    [{ LITELLM_BASE_URL: "ftp://x", LITELLM_SERVICE_KEY: "k" }, "LITELLM_BASE_URL must be an http or https URL"],
    [{ LITELLM_BASE_URL: "http://litellm:4000" }, "LITELLM_SERVICE_KEY is required when LITELLM_BASE_URL is set"],
    [{ LITELLM_SERVICE_KEY: "k" }, "LITELLM_BASE_URL is required when LITELLM_SERVICE_KEY is set"],
    [{ DIRECT_OPENAI_BASE_URL: "https://api.openai.com/v1" }, "DIRECT_OPENAI_SERVICE_KEY is required"],
    [{ DIRECT_OPENAI_SERVICE_KEY: "sk" }, "DIRECT_OPENAI_BASE_URL is required"],
    [{ RELAYNA_STUDIO_BASE_URL: "studio:8000" }, "RELAYNA_STUDIO_BASE_URL must be an http or https URL"],
    [{ RELAYNA_STUDIO_TOKEN: "has space" }, "RELAYNA_STUDIO_TOKEN must not contain whitespace"],
    [{ RELAYNA_WORKER_TOKEN: "short" }, "RELAYNA_WORKER_TOKEN must be at least 16 characters"],
    [{ GATEWAY_ADMIN_TOKEN: "op_live_123" }, "GATEWAY_ADMIN_TOKEN must be op_live_ followed by 64"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL \"loud\" is not a level"],
    [{ LOG_LEVEL: "gateway_api=loud" }, "LOG_LEVEL \"gateway_api=loud\" has no valid level"],
    [{ REDIS_KEY_PREFIX: "has space" }, "REDIS_KEY_PREFIX must be 1-64"],
    [{ GATEWAY_SHUTDOWN_GRACE_SECONDS: "-1" }, "GATEWAY_SHUTDOWN_GRACE_SECONDS must be a whole number"],
    [{ GATEWAY_SHUTDOWN_GRACE_SECONDS: "4000" }, "GATEWAY_SHUTDOWN_GRACE_SECONDS must be at most 3600"],
    [{ USAGE_RETENTION_MONTHS: "-1" }, "USAGE_RETENTION_MONTHS must be a whole number of months"],
    [{ USAGE_RETENTION_MONTHS: "1.5" }, "USAGE_RETENTION_MONTHS must be a whole number of months"],
    [{ USAGE_RETENTION_MONTHS: "1201" }, "USAGE_RETENTION_MONTHS must be at most 1200"],
  ];
  for (const [env, expected] of invalid) {
    test(`${Object.keys(env).join("+")}=${Object.values(env).join("+")} is one line naming it`, () => {
      const result = parseConfig(env);
      if (result.ok) throw new Error("expected an error");
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toStartWith(expected);
    });
  }

  test("every invalid variable is reported, one line each, and secrets are never echoed", () => {
    const result = parseConfig({
      GATEWAY_BIND_ADDR: "nonsense",
      REDIS_URL: "nope",
      GATEWAY_ADMIN_TOKEN: "op_live_secret-value-xyz",
      LITELLM_SERVICE_KEY: "sk secret with spaces",
      LITELLM_BASE_URL: "http://litellm:4000",
    });
    if (result.ok) throw new Error("expected errors");
    expect(result.errors.map((line) => line.split(" ")[0])).toEqual([
      "GATEWAY_BIND_ADDR",
      "REDIS_URL",
      "LITELLM_SERVICE_KEY",
      "GATEWAY_ADMIN_TOKEN",
    ]);
    for (const line of result.errors) {
      expect(line).not.toContain("secret");
      expect(line).not.toContain("\n");
    }
  });
});

describe("LOG_LEVEL", () => {
  const cases: [string, { gateway: string; api: string; proxy: string }][] = [
    ["debug", { gateway: "debug", api: "debug", proxy: "debug" }],
    ["gateway_api=info,gateway_proxy=info", { gateway: "info", api: "info", proxy: "info" }],
    ["gateway_api=debug,gateway_proxy=warn", { gateway: "info", api: "debug", proxy: "warn" }],
    ["warn,gateway_proxy=trace", { gateway: "warn", api: "warn", proxy: "trace" }],
    ["gateway_api=info,hyper=warn", { gateway: "info", api: "info", proxy: "info" }],
    ["off", { gateway: "silent", api: "silent", proxy: "silent" }],
    ["INFO", { gateway: "info", api: "info", proxy: "info" }],
  ];
  for (const [input, expected] of cases) {
    test(input, () => {
      const result = parseConfig({ LOG_LEVEL: input });
      expect(result.ok && result.config.logLevels).toEqual(expected as never);
    });
  }
});
