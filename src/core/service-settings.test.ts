import { describe, expect, test } from "bun:test";
import {
  applyServicePatch,
  isRoutable,
  missingRuntimeFields,
  newServiceSettings,
  settingsProblem,
  syncStatusOf,
} from "./service-settings.ts";

const base = newServiceSettings("pay", {});

test("new settings carry the contract's defaults", () => {
  expect(base).toEqual({
    name: "pay",
    displayName: null,
    projectId: null,
    studioServiceId: null,
    routePattern: "/services/pay/*",
    upstreamBaseUrl: null,
    enabled: false,
    allowedMethods: ["POST"],
    credential: null,
    timeoutMs: 60_000,
    maxBodyBytes: 2 * 1024 * 1024,
    costMode: "none",
    estimatedCostUsd: null,
    fallbackServices: [],
  });
});

describe("applyServicePatch", () => {
  const full = newServiceSettings("pay", {
    displayName: "Pay",
    routePattern: "/pay/*",
    upstreamBaseUrl: "http://u",
    credential: "c",
    enabled: true,
    allowedMethods: ["GET"],
    timeoutMs: 5,
    maxBodyBytes: 6,
    costMode: "fixed",
    estimatedCostUsd: 0.5,
    fallbackServices: ["other"],
  });
  test("absent fields are unchanged", () => expect(applyServicePatch(full, {})).toEqual(full));
  test("null clears, or returns to the default", () => {
    const cleared = applyServicePatch(full, {
      displayName: null,
      routePattern: null,
      upstreamBaseUrl: null,
      credential: null,
      allowedMethods: null,
      timeoutMs: null,
      maxBodyBytes: null,
      costMode: null,
      estimatedCostUsd: null,
      fallbackServices: null,
    });
    expect(cleared).toEqual({ ...base, enabled: true });
  });
});

test("missing runtime fields, routable, sync status", () => {
  expect(missingRuntimeFields(base)).toEqual(["upstream_base_url", "credential"]);
  expect(missingRuntimeFields({ upstreamBaseUrl: "http://u", credential: null })).toEqual(["credential"]);
  expect(missingRuntimeFields({ upstreamBaseUrl: "http://u", credential: "c" })).toEqual([]);
  expect(isRoutable({ enabled: true, upstreamBaseUrl: "http://u", credential: "c" })).toBe(true);
  expect(isRoutable({ enabled: false, upstreamBaseUrl: "http://u", credential: "c" })).toBe(false);
  expect(isRoutable({ enabled: true, upstreamBaseUrl: null, credential: "c" })).toBe(false);
  expect(syncStatusOf("gateway", ["credential"])).toBe("local");
  expect(syncStatusOf("gateway", [])).toBe("local");
  expect(syncStatusOf("studio", ["credential"])).toBe("incomplete");
  expect(syncStatusOf("studio", [])).toBe("synced");
});

test("settingsProblem: cost, fallbacks, enabled ⇒ routable", () => {
  expect(settingsProblem(base)).toBeNull();
  expect(settingsProblem({ ...base, costMode: "fixed" })).toEqual({
    kind: "invalid",
    field: "estimated_cost_usd",
    message: 'is required when cost_mode is "fixed"',
  });
  expect(settingsProblem({ ...base, costMode: "fixed", estimatedCostUsd: 0 })).toBeNull();
  expect(settingsProblem({ ...base, fallbackServices: ["a", "pay"] })).toMatchObject({ field: "fallback_services" });
  expect(settingsProblem({ ...base, enabled: true })).toEqual({
    kind: "incomplete",
    missing: ["upstream_base_url", "credential"],
  });
  expect(settingsProblem({ ...base, enabled: true, upstreamBaseUrl: "http://u" })).toEqual({
    kind: "incomplete",
    missing: ["credential"],
  });
  expect(settingsProblem({ ...base, enabled: true, upstreamBaseUrl: "http://u", credential: "c" })).toBeNull();
});
