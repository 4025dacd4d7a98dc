import { describe, expect, test } from "bun:test";
import { PiiVault } from "./placeholders.ts";

describe("PiiVault", () => {
  test("numbers per category in order of first appearance; a value keeps its placeholder", () => {
    const vault = new PiiVault();
    const got = [
      vault.placeholderFor("email", "a@b.io", "request"),
      vault.placeholderFor("phone", "415-555-0100", "request"),
      vault.placeholderFor("email", "c@d.io", "request"),
      vault.placeholderFor("email", "a@b.io", "request"),
      vault.placeholderFor("ssn", "123-45-6789", "request"),
      vault.placeholderFor("phone", "(415) 555-0100", "request"),
    ];
    expect(got).toEqual(["[EMAIL_1]", "[PHONE_1]", "[EMAIL_2]", "[EMAIL_1]", "[SSN_1]", "[PHONE_2]"]);
    expect(vault.sizes()).toEqual({ email: 2, phone: 2, ssn: 1 });
    expect(vault.counts()).toEqual({ email: 3, phone: 2, ssn: 1, restored: 0 });
  });

  test("only request values are restorable; response values get placeholders that never restore", () => {
    const vault = new PiiVault();
    vault.placeholderFor("email", "a@b.io", "request");
    expect(vault.placeholderFor("email", "new@x.io", "response")).toBe("[EMAIL_2]");
    expect(vault.originalOf("[EMAIL_1]")).toBe("a@b.io");
    expect(vault.originalOf("[EMAIL_2]")).toBeUndefined();
    expect(vault.originalOf("[EMAIL_3]")).toBeUndefined();
    expect(vault.isRequestValue("email", "a@b.io")).toBe(true);
    expect(vault.isRequestValue("email", "new@x.io")).toBe(false);
    expect(vault.isRequestValue("phone", "a@b.io")).toBe(false);
  });

  test("a request value seen again in the response keeps its restorable placeholder", () => {
    const vault = new PiiVault();
    vault.placeholderFor("ssn", "123-45-6789", "request");
    expect(vault.placeholderFor("ssn", "123-45-6789", "response")).toBe("[SSN_1]");
    expect(vault.originalOf("[SSN_1]")).toBe("123-45-6789");
  });

  test("reserved literal placeholders are skipped and never restore", () => {
    const vault = new PiiVault();
    vault.reserveLiteralPlaceholders("earlier answer: [EMAIL_1] and [EMAIL_3], not [EMAIL_02] or [EMAIL_x]");
    const got = ["a@b.io", "c@d.io", "e@f.io"].map((value) => vault.placeholderFor("email", value, "request"));
    expect(got).toEqual(["[EMAIL_2]", "[EMAIL_4]", "[EMAIL_5]"]);
    expect(vault.originalOf("[EMAIL_1]")).toBeUndefined();
    expect(vault.placeholderFor("phone", "415-555-0100", "request")).toBe("[PHONE_1]");
  });

  test("reserving an allocated placeholder changes nothing", () => {
    const vault = new PiiVault();
    vault.placeholderFor("email", "a@b.io", "request");
    vault.reserveLiteralPlaceholders("[EMAIL_1]");
    expect(vault.originalOf("[EMAIL_1]")).toBe("a@b.io");
  });

  test("counts: restorations, snapshots and the difference since one", () => {
    const vault = new PiiVault();
    vault.placeholderFor("email", "a@b.io", "request");
    const before = vault.counts();
    expect(vault.restore("[EMAIL_1]")).toBe("a@b.io");
    expect(vault.restore("[EMAIL_9]")).toBeUndefined();
    vault.placeholderFor("phone", "415-555-0100", "response");
    expect(vault.countsSince(before)).toEqual({ email: 0, phone: 1, ssn: 0, restored: 1 });
    expect(before).toEqual({ email: 1, phone: 0, ssn: 0, restored: 0 });
  });

  test("nothing in it serialises its values", () => {
    const vault = new PiiVault();
    vault.placeholderFor("email", "secret@b.io", "request");
    expect(JSON.stringify(vault)).not.toContain("secret");
    expect(Object.keys(vault)).toEqual([]);
  });
});
