import { describe, expect, test } from "bun:test";
import { createDeltaTextTransform, type TextChannel } from "./delta-text-transform.ts";
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
});
