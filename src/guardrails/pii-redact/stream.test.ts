import { describe, expect, test } from "bun:test";
import { PiiVault } from "./placeholders.ts";
import { redactText } from "./redact.ts";
import { createRedactorTransform, createStreamRedactor, MAX_HOLD_BACK } from "./stream.ts";

function requestVault(): PiiVault {
  const vault = new PiiVault();
  redactText("ana@example.com, 415-555-0100, 123-45-6789", vault);
  return vault;
}

/** Each push's output, then the flush's. */
function run(deltas: readonly string[], restore: boolean): string[] {
  const redactor = createStreamRedactor(requestVault(), { restore });
  return [...deltas.map((delta) => redactor.push(delta)), redactor.flush()];
}

describe("createStreamRedactor", () => {
  test("text that cannot start anything goes out at once", () => {
    expect(run(["Hello, ", "world! ", "🌍 東京 "], true)).toEqual(["Hello, ", "world! ", "🌍 東京 ", ""]);
  });

  test("a trailing word is held until it can no longer become an email", () => {
    expect(run(["Hello wor", "ld and", " more"], true)).toEqual(["Hello ", "world ", "and ", "more"]);
  });

  test("an email split anywhere is redacted whole", () => {
    expect(run(["write eve@ex", "ample.c", "om now"], false)).toEqual(["write ", "", "[EMAIL_2] ", "now"]);
  });

  test("a placeholder split across deltas is restored, never emitted in part", () => {
    expect(run(["Hi [", "EMAIL_", "1] and [PH", "ONE_1]!"], true)).toEqual(["Hi ", "", "ana@example.com and ", "415-555-0100!", ""]);
    expect(run(["Hi [", "EMAIL_", "1] and [PH", "ONE_1]!"], false)).toEqual(["Hi ", "", "[EMAIL_1] and ", "[PHONE_1]!", ""]);
  });

  test("a half placeholder at the end is flushed as it is", () => {
    expect(run(["see [EMAIL_1", "2"], true)).toEqual(["see ", "", "[EMAIL_12"]);
  });

  test("a phone is held until its right edge is known", () => {
    expect(run(["call 415-555-0100", ".", " bye"], false)).toEqual(["call ", "", "[PHONE_1]. ", "bye"]);
    expect(run(["v 415.555.0100", ".", "5 "], false)).toEqual(["v ", "", "", "415.555.0100.5 "]);
  });

  test("a delta ending inside a surrogate pair holds the high half back", () => {
    const globe = "🌍";
    const out = run([`a ${globe[0]}`, `${globe[1]} b `], true);
    expect(out).toEqual(["a ", `${globe} b `, ""]);
  });

  test("the hold-back never exceeds MAX_HOLD_BACK, even for an over-long address", () => {
    const redactor = createStreamRedactor(new PiiVault(), { restore: false });
    const text = `x a@${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}.${"e".repeat(60)}.${"f".repeat(60)} y`;
    let out = "";
    let most = 0;
    for (const ch of text) {
      out += redactor.push(ch);
      most = Math.max(most, redactor.held);
    }
    out += redactor.flush();
    expect(most).toBe(MAX_HOLD_BACK);
    expect(out).toBe(`x [EMAIL_1].${"f".repeat(60)} y`);
  });

  test("an ordinary long word is held at most while it could be a local part", () => {
    const redactor = createStreamRedactor(new PiiVault(), { restore: false });
    let most = 0;
    for (const ch of "z".repeat(1000)) {
      redactor.push(ch);
      most = Math.max(most, redactor.held);
    }
    expect(most).toBe(64);
    expect(redactor.held).toBe(0);
  });

  test("flush resets: the redactor can treat a second text", () => {
    const redactor = createStreamRedactor(requestVault(), { restore: true });
    expect(redactor.push("x[EMAIL_1")).toBe("x");
    expect(redactor.flush()).toBe("[EMAIL_1");
    expect(redactor.push("415-555-0100 ok")).toBe("415-555-0100 ");
    expect(redactor.flush()).toBe("ok");
  });
});

describe("createRedactorTransform", () => {
  async function collect(chunks: readonly string[], restore: boolean): Promise<string[]> {
    const source = new ReadableStream<string>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
    const out: string[] = [];
    for await (const chunk of source.pipeThrough(createRedactorTransform(requestVault(), { restore }))) out.push(chunk);
    return out;
  }

  test("emits only non-empty chunks and flushes the held text at the end", async () => {
    expect(await collect(["Dear [EMA", "IL_1], ", "your SSN 123-45-", "6789 and bo@x.io"], true)).toEqual([
      "Dear ",
      "ana@example.com, ",
      "your SSN ",
      "123-45-6789 and ",
      "[EMAIL_2]",
    ]);
  });

  test("cancelling the readable side cancels the source", async () => {
    let cancelled: unknown = null;
    const source = new ReadableStream<string>({
      pull(controller) {
        controller.enqueue("tick ");
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const reader = source.pipeThrough(createRedactorTransform(requestVault(), { restore: true })).getReader();
    expect((await reader.read()).value).toBe("tick ");
    await reader.cancel("client gone");
    await Bun.sleep(0);
    expect(cancelled).toBe("client gone");
  });
});
