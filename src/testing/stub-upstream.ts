/**
 * The project's own OpenAI-compatible upstream: a test fixture and the benchmark's baseline.
 * Standalone: `bun src/testing/stub-upstream.ts --port 4000 [--hostname 127.0.0.1] [--record]`.
 */
import { parseArgs } from "node:util";
import { startStubUpstream } from "./stub-upstream/server.ts";

export { DEFAULT_BEHAVIOUR, STUB_HEADERS, type StubBehaviour, type StubStall } from "./stub-upstream/behaviour.ts";
export { countTokens, embedText, loremText } from "./stub-upstream/content.ts";
export {
  startStubUpstream,
  type RecordedRequest,
  type StubUpstream,
  type StubUpstreamOptions,
} from "./stub-upstream/server.ts";

if (import.meta.main) {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      port: { type: "string", default: "0" },
      hostname: { type: "string", default: "127.0.0.1" },
      // Off by default: a long-running stub must not keep every request in memory.
      record: { type: "boolean", default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`invalid --port ${values.port}`);
    process.exit(2);
  }
  const stub = startStubUpstream({ port, hostname: values.hostname, record: values.record });
  console.log(`stub upstream listening on ${stub.url}`);
}
