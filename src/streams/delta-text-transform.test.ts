import { describe, expect, spyOn, test } from "bun:test";
import { createStreamRedactor, PiiVault, restoreText } from "../guardrails/pii-redact/index.ts";
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

  describe("chunks written like the last parsed one are read without a parse", () => {
    const raw = (data: string) => new SseFrame(new TextEncoder().encode(`data: ${data}\n\n`));
    const head = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":';
    const tail = '},"logprobs":null,"finish_reason":null}],"usage":null}';
    const content = (text: string) => raw(`${head}${JSON.stringify(text)}${tail}`);
    /** Text out as soon as it comes in, uppercased: each frame's own text is visible in it. */
    const upper = (): TextChannel => ({ push: (delta) => delta.toUpperCase(), flush: () => "", held: 0 });

    function relay(frames: SseFrame[], openChannel: () => TextChannel): { out: string[]; parses: number } {
      const stage = createDeltaTextStage(openChannel);
      const out: string[] = [];
      const parse = spyOn(JSON, "parse");
      try {
        for (const frame of frames) stage.frame(frame, (f) => out.push(f.data));
        stage.end((f) => out.push(f.data));
        return { out, parses: parse.mock.calls.length };
      } finally {
        parse.mockRestore();
      }
    }

    test("one parse for the first content chunk, the same redaction as the whole text", () => {
      const deltas = ["Write to ", "jo", "hn.doe@exam", "ple.com or call ", "415-555", "-0100 now"];
      const finish = raw('{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}');
      const vault = new PiiVault();
      const { out, parses } = relay([...deltas.map(content), finish, SseFrame.fromData("[DONE]")], () => createStreamRedactor(vault, { restore: true }));
      expect(parses).toBe(2); // the first content chunk and the finish chunk
      expect(contents(out).join("")).toBe(restoreText(deltas.join(""), new PiiVault(), { restore: true }));
      expect(out.join("")).not.toContain("exam");
      // Spliced into the upstream's own text: the frames keep every other byte.
      expect(out.slice(0, 2)).toEqual([`${head}"Write to "${tail}`, `${head}""${tail}`]);
    });

    test("frames written as one line are rewritten on the wire: nothing but the content decoded or encoded", () => {
      const stage = createDeltaTextStage(upper);
      const frames = ["learn", "fast", "é🌍"].map(content);
      const out: SseFrame[] = [];
      const encode = spyOn(TextEncoder.prototype, "encode");
      try {
        for (const frame of frames) stage.frame(frame, (f) => out.push(f));
        // The learning frame is re-serialised from its data; the next ones get new bytes.
        expect(out.map((f) => f.raw === null)).toEqual([true, false, false]);
        // Printable ASCII is written into the frame as it is; other text is encoded alone.
        expect(encode.mock.calls.map(([input]) => input)).toEqual(['"É🌍"']);
      } finally {
        encode.mockRestore();
      }
      expect(out.map((f) => new TextDecoder().decode(f.toBytes()))).toEqual(
        ["LEARN", "FAST", "É🌍"].map((text) => `data: ${head}${JSON.stringify(text)}${tail}\n\n`),
      );
    });

    test.each([
      ["an escaped quote", `${head}"say \\"hi\\""${tail}`, 2],
      ["a quote ending the value early", `${head}"a","x":"b"${tail}`, 2],
      ["a null content (no text: not even parsed)", `${head}null${tail}`, 1],
      ["two choices", '{"id":"c","choices":[{"index":0,"delta":{"content":"a"}},{"index":1,"delta":{"content":"b"}}]}', 2],
      ["tool calls", '{"id":"c","choices":[{"index":0,"delta":{"content":"a","tool_calls":[{"index":0,"function":{"arguments":"{\\"q\\":1}"}}]}}]}', 2],
      ["another choice index", `${head.replace('"index":0', '"index":3')}"c"${tail}`, 2],
    ])("a chunk the learnt shape does not fit is parsed: %s", (_name, data, expectedParses) => {
      const { out, parses } = relay([content("learn"), content("fast"), raw(data)], upper);
      expect(parses).toBe(expectedParses); // "learn" (and the odd chunk), never "fast"
      expect(out[1]).toBe(`${head}"FAST"${tail}`);
      // The chunk as a parse sees it, each text uppercased and nothing else changed.
      const expected = JSON.parse(data) as { choices: { delta: Delta }[] };
      type Delta = { content?: unknown; tool_calls?: { function: { arguments: string } }[] };
      for (const { delta } of expected.choices) {
        if (typeof delta.content === "string") delta.content = delta.content.toUpperCase();
        for (const call of delta.tool_calls ?? []) call.function.arguments = call.function.arguments.toUpperCase();
      }
      expect(JSON.parse(out[2]!)).toEqual(expected);
    });
  });
});
