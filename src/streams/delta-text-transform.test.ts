import { describe, expect, test } from "bun:test";
import { createStreamRedactor, PiiVault } from "../guardrails/pii-redact/index.ts";
import { createDeltaTextStage, createDeltaTextTransform, type TextChannel } from "./delta-text-transform.ts";
import { SseFrame } from "./sse-frame.ts";

/** A channel that holds everything back until flush, uppercased: the worst case for hold-back. */
const holdAll = (): TextChannel => {
  let held = "";
  return {
    push: (delta) => ((held += delta.toUpperCase()), ""),
    flush: () => {
      const out = held;
      held = "";
      return out;
    },
    get held() {
      return held.length;
    },
  };
};

const chunk = (content: string | null, finish: string | null = null, index = 0) =>
  SseFrame.fromData(JSON.stringify({ id: "c", object: "chat.completion.chunk", choices: [{ index, delta: content === null ? {} : { content }, finish_reason: finish }] }));

async function run(frames: SseFrame[]): Promise<string[]> {
  const out: string[] = [];
  const readable = new ReadableStream<SseFrame>({
    start(c) {
      for (const f of frames) c.enqueue(f);
      c.close();
    },
  }).pipeThrough(createDeltaTextTransform(holdAll));
  for await (const frame of readable) out.push(frame.data);
  return out;
}

const contents = (data: string[]) =>
  data.filter((d) => d.startsWith("{")).map((d) => (JSON.parse(d) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? "");

describe("delta text transform", () => {
  test("held text is released in the choice's finish chunk, before [DONE]", async () => {
    const out = await run([chunk("ab"), chunk("cd"), chunk(null, "stop"), SseFrame.fromData("[DONE]")]);
    expect(contents(out).join("")).toBe("ABCD");
    expect(out.at(-1)).toBe("[DONE]");
  });

  test("a stream cut before its finish chunk still gets its held text, in a synthetic chunk", async () => {
    const out = await run([chunk("ab"), chunk("cd")]);
    expect(contents(out).join("")).toBe("ABCD");
  });

  test("choices have their own channels; frames without text pass through unchanged", async () => {
    const usage = SseFrame.fromData('{"choices":[],"usage":{"total_tokens":3}}');
    const out = await run([chunk("a", null, 0), chunk("b", null, 1), usage, chunk(null, "stop", 0), chunk(null, "stop", 1)]);
    expect(out).toContain('{"choices":[],"usage":{"total_tokens":3}}');
    expect(contents(out).filter(Boolean)).toEqual(["A", "B"]);
  });

  test("a changed content value is spliced into the frame as the upstream wrote it", async () => {
    const raw = (data: string) => new SseFrame(new TextEncoder().encode(`data: ${data}\n\n`));
    // Spacing and a number beyond double precision: a parse and re-stringify would change both.
    const head = '{"id": "c", "created": 12345678901234567890, "choices": [{"index": 0, "delta": {"content" : ';
    const out = await run([raw(`${head}"a\\"b"}, "finish_reason": null}]}`), raw(`${head}"\\u00e9"}, "finish_reason": null}]}`)]);
    expect(out[0]).toBe(`${head}""}, "finish_reason": null}]}`);
    // A value written with an escape JSON.stringify would not use: the chunk is re-serialised.
    expect(out[1]).toBe('{"id":"c","created":12345678901234567000,"choices":[{"index":0,"delta":{"content":""},"finish_reason":null}]}');
    expect(contents(out).join("")).toBe('A"BÉ');
  });

  test("a content key spelt with an escape is still the one rewritten, whatever other `content` keys say", async () => {
    const frame = SseFrame.fromData('{"meta":{"content":"ab"},"choices":[{"index":0,"delta":{"conten\\u0074":"ab"},"finish_reason":null}]}');
    const out = await run([frame]);
    expect(JSON.parse(out[0]!)).toEqual({ meta: { content: "ab" }, choices: [{ index: 0, delta: { content: "" }, finish_reason: null }] });
    expect(contents(out).join("")).toBe("AB");
  });

  test("a frame whose text keys are spelt with escapes is parsed and treated, even with nothing held", async () => {
    const escaped = SseFrame.fromData('{"choices":[{"index":0,"delta":{"conten\\u0074":"ab"},"finish_reason":null}]}');
    const out = await run([escaped, chunk(null, "stop")]);
    expect(JSON.parse(out[0]!)).toEqual({ choices: [{ index: 0, delta: { content: "" }, finish_reason: null }] });
    expect(contents(out).join("")).toBe("AB");
    // With pii-redact: the address in the escaped key's value never reaches the client.
    const stage = createDeltaTextStage(() => createStreamRedactor(new PiiVault(), { restore: true }));
    const sent: string[] = [];
    stage.frame(SseFrame.fromData('{"choices":[{"index":0,"delta":{"conten\\u0074":"mail a@b.io now"},"finish_reason":null}]}'), (f) => sent.push(f.data));
    expect(sent.join("")).not.toContain("a@b.io");
    expect(sent.join("")).toContain("[EMAIL_1]");
  });

  test("held text released in a finish chunk is put into its empty delta as the upstream wrote it", async () => {
    const raw = (data: string) => new SseFrame(new TextEncoder().encode(`data: ${data}\n\n`));
    const finish = '{"id": "c", "created": 12345678901234567890, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}';
    const out = await run([chunk("ab"), raw(finish)]);
    expect(out[1]).toBe('{"id": "c", "created": 12345678901234567890, "choices": [{"index": 0, "delta": {"content":"AB"}, "finish_reason": "stop"}]}');
  });
});
