/**
 * `bun run build`: one self-contained executable at dist/relayna-gateway. The migrations are
 * inlined by a macro (src/store/migrations) and PGlite's WebAssembly is embedded as files, so the
 * binary needs nothing beside it.
 */
import { $ } from "bun";

const outfile = process.argv[2] ?? "dist/relayna-gateway";
const started = performance.now();
await $`bun build --compile --minify ./src/main.ts --outfile ${outfile}`.quiet();
const { size } = Bun.file(outfile);
console.log(`built ${outfile} (${(size / 1024 / 1024).toFixed(1)} MiB) in ${Math.round(performance.now() - started)} ms`);
