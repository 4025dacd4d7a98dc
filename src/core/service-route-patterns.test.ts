import { expect, test } from "bun:test";
import { defaultRoutePattern, routePatternProblem } from "./service-route-patterns.ts";

test("default pattern", () => {
  expect(defaultRoutePattern("payments-api")).toBe("/services/payments-api/*");
  expect(routePatternProblem(defaultRoutePattern("payments-api"))).toBeNull();
});

test("valid patterns: exact or ending in /*", () => {
  for (const ok of [
    "/payments",
    "/payments/*",
    "/api/v2/charges",
    "/services/pay",
    "/services/pay/*",
    "/v1beta/x",
    "/providersx/*",
    "/a-b_c.d~e/*",
    "/",
  ]) {
    expect([ok, routePatternProblem(ok)]).toEqual([ok, null]);
  }
});

test("invalid patterns name the rule", () => {
  const cases: [string, string][] = [
    ["", "must be 1-512"],
    ["x".repeat(513), "must be 1-512"],
    ["payments", "must start with /"],
    ["/a//b", "must not contain //"],
    ["//*", "must not contain //"],
    ["/a/*/b", "only as the final /*"],
    ["/a*", "only as the final /*"],
    ["/a?b=1", "only as the final /*"],
    ["/a#frag", "only as the final /*"],
    ["/a b", "only as the final /*"],
    ["/a/../v1/*", ". or .. segments"],
    ["/*", "every path"],
    ["/services/*", "every service's"],
    ["/v1", "under /v1/"],
    ["/v1/*", "under /v1/"],
    ["/v1/chat/completions", "under /v1/"],
    ["/V1/Chat", "under /v1/"],
    ["/providers/openai/*", "under /providers/"],
    ["/providers", "under /providers/"],
  ];
  for (const [pattern, message] of cases)
    expect([pattern, routePatternProblem(pattern)]).toEqual([pattern, expect.stringContaining(message)]);
});
