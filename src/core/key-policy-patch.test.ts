import { describe, expect, test } from "bun:test";
import { applyKeyPolicyPatch, DEFAULT_KEY_POLICY, type KeyPolicyPatch } from "./key-policy-patch.ts";
import type { KeyPolicy } from "./policy.ts";

const custom: KeyPolicy = {
  ...DEFAULT_KEY_POLICY,
  allowedModels: ["a", "b"],
  allowedServices: ["billing"],
  rpmLimit: 10,
  dailyBudgetUsd: 2,
  allowStreaming: true,
};

describe("applyKeyPolicyPatch", () => {
  const cases: [string, KeyPolicyPatch, KeyPolicy][] = [
    ["an empty patch changes nothing", {}, custom],
    ["absent fields stay", { tpmLimit: 500 }, { ...custom, tpmLimit: 500 }],
    ["null clears a limit", { rpmLimit: null }, { ...custom, rpmLimit: null }],
    ["null clears a budget", { dailyBudgetUsd: null }, { ...custom, dailyBudgetUsd: null }],
    ["null widens allowed_services back to every link", { allowedServices: null }, { ...custom, allowedServices: null }],
    ["lists replace, not append", { allowedModels: ["c"] }, { ...custom, allowedModels: ["c"] }],
    ["null resets a list to its default", { allowedModels: null }, { ...custom, allowedModels: [] }],
    ["null resets a flag to its default", { allowStreaming: null }, { ...custom, allowStreaming: false }],
    ["zero is a value, not a clear", { dailyBudgetUsd: 0 }, { ...custom, dailyBudgetUsd: 0 }],
  ];
  for (const [name, patch, expected] of cases) {
    test(name, () => expect(applyKeyPolicyPatch(custom, patch)).toEqual(expected));
  }

  test("the result shares no list with its inputs", () => {
    const merged = applyKeyPolicyPatch(DEFAULT_KEY_POLICY, {});
    merged.allowedRoutes.push("/v1/embeddings");
    expect(DEFAULT_KEY_POLICY.allowedRoutes).toEqual(["/v1/chat/completions", "/v1/responses"]);
  });
});
