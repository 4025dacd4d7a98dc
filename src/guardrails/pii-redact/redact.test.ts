import { describe, expect, test } from "bun:test";
import { PiiVault } from "./placeholders.ts";
import { redactJson, redactText, restoreJson, restoreText } from "./redact.ts";

const REQUEST = "I am ana@example.com, call +1 (415) 555-0100 or 415-555-0101; SSN 123-45-6789. Again: ana@example.com";

function requestVault(): PiiVault {
  const vault = new PiiVault();
  redactText(REQUEST, vault);
  return vault;
}

describe("redactText", () => {
  test("replaces every value, reusing placeholders for repeats", () => {
    const vault = new PiiVault();
    expect(redactText(REQUEST, vault)).toBe("I am [EMAIL_1], call [PHONE_1] or [PHONE_2]; SSN [SSN_1]. Again: [EMAIL_1]");
    expect(vault.counts()).toEqual({ email: 2, phone: 2, ssn: 1, restored: 0 });
  });

  test("text without PII comes back unchanged, multi-byte characters included", () => {
    const text = "Café 🌍 東京 — order #4155550100 on 2024-01-15 for $12.99";
    expect(redactText(text, new PiiVault())).toBe(text);
  });

  test("placeholder-shaped text in the request is kept and its number skipped", () => {
    const vault = new PiiVault();
    expect(redactText("you said [EMAIL_1]; mine is bo@x.io", vault)).toBe("you said [EMAIL_1]; mine is [EMAIL_2]");
    expect(restoreText("[EMAIL_1] [EMAIL_2]", vault, { restore: true })).toBe("[EMAIL_1] bo@x.io");
  });
});

describe("restoreText", () => {
  const echo = "Hello [EMAIL_1], I will call [PHONE_2] (not [PHONE_1]) about [SSN_1].";

  test.each([
    ["restore on: echoed placeholders become the originals", true, "Hello ana@example.com, I will call 415-555-0101 (not +1 (415) 555-0100) about 123-45-6789."],
    ["restore off: placeholders stay", false, echo],
  ])("%s", (_name, restore, expected) => {
    expect(restoreText(echo, requestVault(), { restore })).toBe(expected);
  });

  test.each([true, false])("new PII from the model is redacted into new placeholders (restore %p)", (restore) => {
    const vault = requestVault();
    const out = restoreText("Try eve@evil.io, 020 7946 0958, 078-05-1120 or eve@evil.io", vault, { restore });
    expect(out).toBe("Try [EMAIL_2], [PHONE_3], [SSN_2] or [EMAIL_2]");
    // Minted for model output: never restored, not even by a later pass.
    expect(restoreText("[EMAIL_2] [PHONE_3] [SSN_2]", vault, { restore: true })).toBe("[EMAIL_2] [PHONE_3] [SSN_2]");
  });

  test("a restored value is not re-redacted, and a placeholder next to new PII stays distinct", () => {
    const vault = requestVault();
    const out = restoreText("[EMAIL_1] and bob@example.com [EMAIL_1]", vault, { restore: true });
    expect(out).toBe("ana@example.com and [EMAIL_2] ana@example.com");
    expect(vault.countsSince({ email: 2, phone: 2, ssn: 1, restored: 0 })).toEqual({ email: 1, phone: 0, ssn: 0, restored: 2 });
  });

  test("a request value the model writes out is shown when restoring, its placeholder when not", () => {
    const text = "You are ana@example.com";
    expect(restoreText(text, requestVault(), { restore: true })).toBe(text);
    expect(restoreText(text, requestVault(), { restore: false })).toBe("You are [EMAIL_1]");
  });

  test.each([
    ["unknown number", "[EMAIL_7]"],
    ["unknown category", "[NAME_1]"],
    ["half placeholder", "[EMAIL_"],
    ["no digits", "[PHONE_]"],
    ["leading zero", "[SSN_01]"],
    ["lower case", "[email_1]"],
  ])("placeholder-looking %s is left as is", (_name, token) => {
    expect(restoreText(`a ${token} b`, requestVault(), { restore: true })).toBe(`a ${token} b`);
  });
});

describe("JSON", () => {
  test("redactJson walks every string leaf at any depth and leaves keys and other types alone", () => {
    const body = {
      model: "gpt-4o",
      "ana@example.com": "key untouched",
      messages: [
        { role: "system", content: "Reach me at ana@example.com" },
        { role: "user", content: [{ type: "text", text: "or 415-555-0101, ssn 123-45-6789" }] },
      ],
      metadata: { nested: { deeper: ["x", "ana@example.com", 4155550100, true, null] } },
      temperature: 0.2,
    };
    const vault = new PiiVault();
    expect(redactJson(body, vault)).toEqual({
      model: "gpt-4o",
      "ana@example.com": "key untouched",
      messages: [
        { role: "system", content: "Reach me at [EMAIL_1]" },
        { role: "user", content: [{ type: "text", text: "or [PHONE_1], ssn [SSN_1]" }] },
      ],
      metadata: { nested: { deeper: ["x", "[EMAIL_1]", 4155550100, true, null] } },
      temperature: 0.2,
    });
    expect(body.messages[0]?.content).toBe("Reach me at ana@example.com"); // the input is not mutated
  });

  test("redactJson reserves placeholder text from any leaf before numbering", () => {
    const vault = new PiiVault();
    const out = redactJson(["first a@b.io", "later a copied [EMAIL_1]"], vault);
    expect(out).toEqual(["first [EMAIL_2]", "later a copied [EMAIL_1]"]);
  });

  test("copy on write: untouched containers keep their identity, so a clean request is forwarded as sent", () => {
    const clean = { model: "m", messages: [{ role: "user", content: "hello [NAME_1] 2024" }], n: 1, stop: null };
    expect(redactJson(clean, new PiiVault())).toBe(clean);
    expect(restoreJson(clean, new PiiVault(), { restore: true })).toBe(clean);
    const system = { role: "system", content: "x" };
    const body = { model: "m", tools: [{ name: "t" }], messages: [system, { role: "user", content: "a@b.io" }] };
    const out = redactJson(body, new PiiVault());
    expect(out).toEqual({ ...body, messages: [system, { role: "user", content: "[EMAIL_1]" }] });
    expect(out).not.toBe(body);
    expect(out.tools).toBe(body.tools);
    expect(out.messages[0]).toBe(system);
    expect(body.messages[1]?.content).toBe("a@b.io");
  });
  test("a changed object keeps its keys in order; only own keys are leaves (as Object.entries lists them)", () => {
    const body = { a: "x", b: "mail a@b.io", c: { d: "y" }, 2: "z" };
    const out = redactJson(body, new PiiVault());
    expect(Object.keys(out)).toEqual(["2", "a", "b", "c"]);
    expect(out).toEqual({ a: "x", b: "mail [EMAIL_1]", c: { d: "y" }, 2: "z" });
    expect(out.c).toBe(body.c);
    const inherits = Object.assign(Object.create({ inherited: "a@b.io" }) as Record<string, unknown>, { own: "y" });
    expect(redactJson(inherits, new PiiVault())).toBe(inherits);
  });

  test("a __proto__ key stays an own key", () => {
    const body = JSON.parse('{"__proto__": {"x": "a@b.io"}}') as unknown;
    const out = redactJson(body, new PiiVault()) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")?.value).toEqual({ x: "[EMAIL_1]" });
  });

  test("restoreJson treats every string leaf of a response", () => {
    const response = { choices: [{ message: { content: "Hi [EMAIL_1], new: x@y.io" } }], usage: { total_tokens: 3 } };
    expect(restoreJson(response, requestVault(), { restore: true })).toEqual({
      choices: [{ message: { content: "Hi ana@example.com, new: [EMAIL_2]" } }],
      usage: { total_tokens: 3 },
    });
    expect(restoreJson(response, requestVault(), { restore: false })).toEqual({
      choices: [{ message: { content: "Hi [EMAIL_1], new: [EMAIL_2]" } }],
      usage: { total_tokens: 3 },
    });
  });
});
