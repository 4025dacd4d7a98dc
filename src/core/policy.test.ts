import { describe, expect, test } from "bun:test";
import { DEFAULT_KEY_POLICY } from "./key-policy-patch.ts";
import { evaluatePolicy, keyStateVerdict, type KeyPolicy, type PolicyRequest } from "./policy.ts";

const base: KeyPolicy = { ...DEFAULT_KEY_POLICY };
const chat: PolicyRequest = {
  route: "/v1/chat/completions",
  provider: "litellm",
  service: null,
  model: "gpt-4o-mini",
  stream: false,
  usesTools: false,
};
const service: PolicyRequest = { ...chat, route: "/services/*", provider: "internal-service", service: "payments", model: null };

describe("evaluatePolicy: each rule allows and denies", () => {
  const cases: [string, Partial<KeyPolicy>, string[], PolicyRequest, string | null][] = [
    ["default policy allows chat", {}, [], chat, null],
    ["route not allowed", {}, [], { ...chat, route: "/v1/embeddings" }, "route"],
    ["route allowed", { allowedRoutes: ["/v1/embeddings"] }, [], { ...chat, route: "/v1/embeddings" }, null],
    ["provider not allowed", { allowedRoutes: ["/providers/openai/*"] }, [], { ...chat, route: "/providers/openai/*", provider: "openai" }, "provider"],
    ["provider allowed", { allowedRoutes: ["/providers/openai/*"], allowedProviders: ["openai"] }, [], { ...chat, route: "/providers/openai/*", provider: "openai" }, null],
    ["linked service grants its route and provider", {}, ["payments"], service, null],
    ["unlinked service is denied at the route", {}, [], service, "route"],
    ["unlinked service with the route allowed is denied as service", { allowedRoutes: ["/services/*"], allowedProviders: ["internal-service"] }, ["other"], service, "service"],
    ["allowed_services narrows the links", { allowedServices: ["other"] }, ["payments", "other"], service, "service"],
    ["model outside the list", { allowedModels: ["gpt-4o"] }, [], chat, "model"],
    ["model in the list", { allowedModels: ["gpt-4o-mini"] }, [], chat, null],
    ["no model is not checked against the list", { allowedModels: ["gpt-4o"] }, [], { ...chat, model: null }, null],
    ["streaming denied by default", {}, [], { ...chat, stream: true }, "streaming"],
    ["streaming allowed", { allowStreaming: true }, [], { ...chat, stream: true }, null],
    ["tools denied by default", {}, [], { ...chat, usesTools: true }, "tools"],
    ["tools allowed", { allowTools: true }, [], { ...chat, usesTools: true }, null],
    ["order: route before model", { allowedModels: ["x"] }, [], { ...chat, route: "/v1/embeddings" }, "route"],
    ["order: model before streaming", { allowedModels: ["x"] }, [], { ...chat, stream: true }, "model"],
    ["order: streaming before tools", {}, [], { ...chat, stream: true, usesTools: true }, "streaming"],
  ];
  for (const [name, policy, links, request, rule] of cases) {
    test(name, () => {
      const verdict = evaluatePolicy({ ...base, ...policy }, links, request);
      if (rule === null) expect(verdict).toEqual({ allowed: true });
      else {
        expect(verdict).toMatchObject({ allowed: false, rule });
        if (!verdict.allowed) expect(verdict.message).not.toContain(request.model ?? "\u0000");
      }
    });
  }
});

describe("keyStateVerdict", () => {
  const ok = { disabled: false, revokedAtMs: null, expiresAtMs: null };
  test("usable", () => expect(keyStateVerdict(ok, 1000)).toBeNull());
  test("revoked wins over disabled and expired", () =>
    expect(keyStateVerdict({ disabled: true, revokedAtMs: 1, expiresAtMs: 1 }, 1000)).toBe("revoked_virtual_key"));
  test("disabled", () => expect(keyStateVerdict({ ...ok, disabled: true }, 1000)).toBe("disabled_virtual_key"));
  test("expired at the instant", () => expect(keyStateVerdict({ ...ok, expiresAtMs: 1000 }, 1000)).toBe("expired_virtual_key"));
  test("not yet expired", () => expect(keyStateVerdict({ ...ok, expiresAtMs: 1001 }, 1000)).toBeNull());
});
