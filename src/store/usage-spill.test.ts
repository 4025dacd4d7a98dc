import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { UsageRow } from "./usage-ledger.ts";
import { createSpillWriter, decodeSpillRow, encodeSpillRow, listSpillFiles, openSpillReader } from "./usage-spill.ts";

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), "usage-spill-unit-"));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const row = (requestId: string, over: Partial<UsageRow> = {}): UsageRow => ({
  requestId,
  route: "chat-completions",
  status: "success",
  statusCode: 200,
  createdAt: new Date("2026-01-02T03:04:05.678Z"),
  ...over,
});

describe("spill row encoding", () => {
  test("round-trips a row, createdAt back to a Date", () => {
    const original = row("r1", { model: "模型-ü\n\"quoted\"", guardrails: ["pii-redact"], estimatedCostUsd: 0.25 });
    const line = encodeSpillRow(original);
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    expect(decodeSpillRow(line)).toEqual(original);
  });

  test("torn, foreign or id-carrying lines", () => {
    expect(decodeSpillRow(encodeSpillRow(row("r1")).slice(0, 30))).toBeNull();
    expect(decodeSpillRow("[1,2]")).toBeNull();
    expect(decodeSpillRow('{"route":"x"}')).toBeNull();
    expect(decodeSpillRow('{"id":7,"requestId":"r2","route":"x","status":"success","statusCode":200}')).toEqual({
      requestId: "r2",
      route: "x",
      status: "success",
      statusCode: 200,
    });
  });
});

describe("spill reader", () => {
  test("streams batches across chunk boundaries (inside lines and UTF-8 characters), counting bad lines", async () => {
    const dir = await tempDir();
    const rows = Array.from({ length: 3_000 }, (_, i) => row(`r${i}`, { model: `模型-${"ü".repeat(i % 97)}` }));
    const text = rows.map(encodeSpillRow).join("") + "\n" + "not json\n" + encodeSpillRow(row("last")).slice(0, 25);
    const file = join(dir, "usage-spill-1-1.jsonl");
    await writeFile(file, text);
    const reader = openSpillReader(file);
    const read: UsageRow[] = [];
    let bad = 0;
    for (let batch = await reader.next(500); batch; batch = await reader.next(500)) {
      expect(batch.rows.length).toBeLessThanOrEqual(500);
      read.push(...batch.rows);
      bad += batch.badLines;
    }
    reader.close();
    expect(read).toEqual(rows);
    expect(bad).toBe(2);
  });
});

describe("spill writer", () => {
  test("appends asynchronously to one file per episode; seal() starts a new one", async () => {
    const dir = join(await tempDir(), "nested");
    let appended = 0;
    const writer = createSpillWriter({ dir, logger: pino({ level: "silent" }), onAppended: (n) => (appended += n), onLost: () => {} });
    writer.add([row("a"), row("b")]);
    expect(appended).toBe(0); // nothing on the caller's path
    writer.add([row("c")]);
    await writer.idle();
    expect(appended).toBe(3);
    const first = writer.currentFile!;
    expect(first).toMatch(new RegExp(`usage-spill-${process.pid}-\\d+\\.jsonl$`));
    await writer.seal();
    expect(writer.currentFile).toBeNull();
    writer.add([row("d")]);
    await writer.idle();
    const second = writer.currentFile!;
    expect(second).not.toBe(first);
    expect((await readFile(first, "utf8")).split("\n").filter(Boolean).map((l) => decodeSpillRow(l)!.requestId)).toEqual(["a", "b", "c"]);
    expect(await listSpillFiles(dir, second)).toEqual([first]);
    expect(await listSpillFiles(dir, null)).toEqual([first, second]);
  });

  test("an unwritable directory loses the rows, counted, after a few attempts", async () => {
    const file = join(await tempDir(), "a-file");
    await writeFile(file, "");
    let lost = 0;
    const writer = createSpillWriter({ dir: join(file, "sub"), logger: pino({ level: "silent" }), onAppended: () => {}, onLost: (n) => (lost += n) });
    writer.add([row("a")]);
    await writer.idle();
    expect(lost).toBe(1);
  });
});

describe("listSpillFiles", () => {
  test("oldest first by timestamp, foreign files ignored, missing directory is empty", async () => {
    const dir = await tempDir();
    for (const name of ["usage-spill-7-200.jsonl", "usage-spill-1-30.jsonl", "notes.txt", "usage-spill-x-1.jsonl"]) {
      await writeFile(join(dir, name), "");
    }
    expect((await listSpillFiles(dir, null)).map((p) => p.slice(dir.length + 1))).toEqual([
      "usage-spill-1-30.jsonl",
      "usage-spill-7-200.jsonl",
    ]);
    expect(await listSpillFiles(join(dir, "absent"), null)).toEqual([]);
    expect((await readdir(dir)).length).toBe(4);
  });
});
