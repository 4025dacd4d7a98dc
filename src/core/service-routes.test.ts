import { describe, expect, test } from "bun:test";
import { buildServiceTable, matchService, serviceState, type ServiceRoute } from "./service-routes.ts";

const service = (name: string, routePattern: string, over: Partial<ServiceRoute> = {}): ServiceRoute => ({
  name,
  routePattern,
  upstreamBaseUrl: "http://up",
  credential: "c",
  enabled: true,
  allowedMethods: ["POST"],
  timeoutMs: 1000,
  maxBodyBytes: 100,
  costMode: "none",
  estimatedCostUsd: null,
  fallbackServices: [],
  ...over,
});

const table = buildServiceTable([
  service("payments-api", "/services/payments-api/*"),
  service("billing", "/billing/*"),
  service("billing-v2", "/billing/v2/*"),
  service("health", "/internal/health"),
]);

describe("matchService", () => {
  const cases: [string, string, string | null, string | null][] = [
    ["/services/payments-api/charges", "?trace=1", "payments-api", "/charges?trace=1"],
    ["/services/payments-api", "", "payments-api", "/"],
    ["/billing/invoices/7", "", "billing", "/invoices/7"],
    ["/billing/v2/invoices", "?a=b", "billing-v2", "/invoices?a=b"], // longest pattern first
    ["/billing", "", "billing", "/"],
    ["/billingx", "", null, null],
    ["/internal/health", "?x=1", "health", "/internal/health?x=1"], // exact: path unchanged
    ["/internal/health/more", "", null, null],
    ["/services/unknown/x", "", "unknown", "/x"], // alias of a missing service: name kept, service null
    ["/v1/models", "", null, null],
  ];
  for (const [path, query, name, upstream] of cases) {
    test(`${path}${query}`, () => {
      const match = matchService(table, path, query);
      if (name === null) expect(match).toBeNull();
      else {
        expect(match?.name).toBe(name);
        expect(match?.upstreamPath).toBe(upstream!);
        expect(match?.service?.name ?? "unknown").toBe(name);
      }
    });
  }
});

describe("serviceState", () => {
  test("routable only when enabled with upstream and credential", () => {
    expect(serviceState(service("a", "/a/*"))).toBe("ok");
    expect(serviceState(service("a", "/a/*", { enabled: false }))).toBe("disabled_service");
    expect(serviceState(service("a", "/a/*", { credential: null }))).toBe("incomplete_service");
    expect(serviceState(service("a", "/a/*", { upstreamBaseUrl: null }))).toBe("incomplete_service");
  });
});
