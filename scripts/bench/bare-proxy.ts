/**
 * The floor any Bun gateway can reach: read the request, forward it to the upstream with
 * `fetch`, hand the upstream Response straight back (SSE bodies stream through untouched).
 * No auth, no policy, no logging, no metrics.
 * `bun scripts/bench/bare-proxy.ts --upstream http://127.0.0.1:4000 [--port 0]`
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    upstream: { type: "string" },
    port: { type: "string", default: "0" },
    hostname: { type: "string", default: "127.0.0.1" },
  },
});
if (!values.upstream) {
  console.error("--upstream is required");
  process.exit(2);
}
const upstream = values.upstream.replace(/\/$/, "");

/** Path and query of an absolute URL without building a URL object. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  return start === -1 ? "/" : url.slice(start);
}

const server = Bun.serve({
  port: Number(values.port),
  hostname: values.hostname,
  development: false,
  // Like the gateway's proxy listener: streams may be silent for a while.
  idleTimeout: 255,
  async fetch(req) {
    // Buffered, as every gateway that inspects the body must; also sends a content-length.
    const body = req.method === "GET" || req.method === "HEAD" ? null : await req.arrayBuffer();
    const headers = new Headers(req.headers);
    headers.delete("host");
    return fetch(upstream + pathOf(req.url), {
      method: req.method,
      headers,
      body,
      signal: req.signal,
      redirect: "manual",
      decompress: false,
    });
  },
});

console.log(`bare proxy listening on http://${values.hostname}:${server.port}`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    void server.stop(true).finally(() => process.exit(0));
  });
}
