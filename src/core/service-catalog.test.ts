import { describe, expect, test } from "bun:test";
import { isImportable, normalizeStudioCatalog, normalizeStudioRow } from "./service-catalog.ts";

describe("normalizeStudioRow", () => {
  test("a full row", () => {
    const entry = normalizeStudioRow({
      studio_service_id: "svc_payments",
      gateway_service_name: "Payments API",
      name: "ignored",
      display_name: " Payments ",
      base_url: "http://payments:8080",
      environment: "production",
      status: "active",
      tags: ["billing", 3, "", "core"],
      allowed_methods: ["post", "get", "OPTIONS", "get"],
      default_route_pattern: "/pay/*",
      default_pricing: { cost_mode: "Fixed", estimated_cost_usd: 0.0025 },
    });
    expect(entry).toEqual({
      studioServiceId: "svc_payments",
      name: "payments-api",
      routePattern: "/pay/*",
      displayName: "Payments",
      upstreamBaseUrl: "http://payments:8080",
      allowedMethods: ["GET", "POST"],
      costMode: "fixed",
      estimatedCostUsd: 0.0025,
      metadata: {
        display_name: "Payments",
        base_url: "http://payments:8080",
        environment: "production",
        status: "active",
        tags: ["billing", "core"],
        allowed_methods: ["GET", "POST"],
        route_pattern: "/pay/*",
        default_pricing: { cost_mode: "fixed", estimated_cost_usd: 0.0025 },
      },
      errors: [],
    });
    expect(isImportable(entry)).toBe(true);
  });

  test("a minimal row: service_id, name fallbacks, defaults", () => {
    const entry = normalizeStudioRow({
      service_id: 17,
      gateway_service_name: "!!!",
      name: "Search Service",
      route_pattern: "/search",
    });
    expect(entry).toMatchObject({
      studioServiceId: "17",
      name: "search-service",
      routePattern: "/search",
      allowedMethods: ["POST"],
      costMode: "none",
      estimatedCostUsd: null,
      upstreamBaseUrl: null,
      errors: [],
    });
    expect(normalizeStudioRow({ studio_service_id: "Svc_Only" })).toMatchObject({
      name: "svc-only",
      routePattern: "/services/svc-only/*",
    });
    // Methods that all filter away fall back to the default.
    expect(normalizeStudioRow({ studio_service_id: "x", allowed_methods: ["HEAD"] }).allowedMethods).toEqual(["POST"]);
  });

  const invalid: [unknown, string][] = [
    ["a string", "not a JSON object"],
    [[1], "not a JSON object"],
    [{ name: "x" }, "studio_service_id (or service_id) is missing"],
    [{ studio_service_id: "  " }, "studio_service_id (or service_id) is missing"],
    [{ studio_service_id: "x".repeat(201) }, "longer than 200"],
    [{ studio_service_id: "___" }, "no usable gateway name"],
    [
      { studio_service_id: "a", default_route_pattern: "/v1/*" },
      'default_route_pattern "/v1/*" must not be under /v1/',
    ],
    [{ studio_service_id: "a", route_pattern: "no-slash" }, "must start with /"],
    [{ studio_service_id: "a", route_pattern: 7 }, "default_route_pattern must be a string"],
    [{ studio_service_id: "a", base_url: "ftp://x" }, "base_url must be an http:// or https:// URL"],
    [{ studio_service_id: "a", base_url: "http://user:secret@x" }, "base_url must be"],
    [{ studio_service_id: "a", allowed_methods: "GET" }, "allowed_methods must be a list"],
    [{ studio_service_id: "a", default_pricing: [] }, "default_pricing must be an object"],
    [{ studio_service_id: "a", default_pricing: { cost_mode: "free" } }, "default_pricing.cost_mode must be one of"],
    [{ studio_service_id: "a", default_pricing: { cost_mode: "fixed" } }, "is required when cost_mode"],
    [{ studio_service_id: "a", default_pricing: { estimated_cost_usd: -1 } }, "must be a number >= 0"],
  ];
  for (const [row, message] of invalid) {
    test(`invalid: ${JSON.stringify(row).slice(0, 60)}`, () => {
      const entry = normalizeStudioRow(row);
      expect(entry.errors).toContainEqual(expect.stringContaining(message));
      expect(isImportable(entry)).toBe(false);
      expect(JSON.stringify(entry)).not.toContain("secret");
    });
  }
});

test("normalizeStudioCatalog reports duplicates on the later row only", () => {
  const entries = normalizeStudioCatalog([
    { studio_service_id: "a", name: "one" },
    { studio_service_id: "a", name: "two" },
    { studio_service_id: "b", name: "One" },
    { studio_service_id: "c", name: "three", route_pattern: "/services/one/*" },
    { studio_service_id: "d", name: "four" },
  ]);
  expect(entries.map((e) => e.errors)).toEqual([
    [],
    ["studio_service_id appears more than once in the catalog"],
    [
      'gateway name "one" is also the name of an earlier row',
      'route pattern "/services/one/*" is also the route of an earlier row',
    ],
    ['route pattern "/services/one/*" is also the route of an earlier row'],
    [],
  ]);
});
