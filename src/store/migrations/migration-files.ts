/**
 * A Bun macro (imported `with { type: "macro" }`): runs while the code is bundled or
 * transpiled and inlines the committed `drizzle/` migrations as data, so the compiled
 * executable carries them and there is one code path for `bun src/main.ts` and the binary.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface MigrationFile {
  tag: string;
  /** drizzle-kit's journal timestamp; also what drizzle's own migrator records. */
  when: number;
  /** sha256 of the file, as drizzle records it. */
  hash: string;
  statements: string[];
}

interface Journal {
  entries: { tag: string; when: number }[];
}

export function loadMigrationFiles(): MigrationFile[] {
  const dir = join(import.meta.dir, "..", "..", "..", "drizzle");
  const journal = JSON.parse(readFileSync(join(dir, "meta", "_journal.json"), "utf8")) as Journal;
  return journal.entries.map(({ tag, when }) => {
    const text = readFileSync(join(dir, `${tag}.sql`), "utf8");
    return {
      tag,
      when,
      hash: createHash("sha256").update(text).digest("hex"),
      statements: text.split("--> statement-breakpoint").filter((s) => s.trim() !== ""),
    };
  });
}
