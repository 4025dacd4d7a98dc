/**
 * A fake remote guardrail speaking the HTTP guardrail protocol (contract 8). One server serves
 * every behaviour, chosen by the path, so each catalog entry a test creates points at
 * `${url}/<behaviour>`:
 *
 * - `allow`, `warn`: that action, nothing changed.
 * - `modify`: every string leaf of the sent payload (request or response) uppercased.
 * - `replace`: every `config.word` (default "darn") in string leaves becomes
 *   `config.replacement` (default "[removed]").
 * - `block`: `block` with reason "blocked by the fake guardrail".
 * - `block-word`: `block` when the sent payload contains `config.word` (default "darn"), else
 *   `allow` (a stream window guardrail that blocks mid-stream).
 * - `slow`: answers `allow` only after `delayMs` (default 5 s, or until stopped); a caller that
 *   leaves first is counted in `aborted`.
 * - `500`, `garbage` (200 with text that is not JSON), `wrong-shape` (200 JSON, no action),
 *   `modify-without-payload` (`modify` carrying nothing).
 * - `secret-metadata`: `allow` with metadata mixing ordinary and secret-looking keys.
 */

export const FAKE_GUARDRAIL_BEHAVIOURS = [
  "allow",
  "warn",
  "modify",
  "replace",
  "block",
  "block-word",
  "slow",
  "500",
  "garbage",
  "wrong-shape",
  "modify-without-payload",
  "secret-metadata",
] as const;
export type FakeGuardrailBehaviour = (typeof FAKE_GUARDRAIL_BEHAVIOURS)[number];

export interface FakeGuardrailRequest {
  path: string;
  /** Lowercased header names as received (the bearer token included: tests check it). */
  headers: Record<string, string>;
  body: unknown;
  /** The client's source port: distinct ports are distinct connections. */
  port: number | null;
}

export interface FakeGuardrailOptions {
  /** When set, requests without `Authorization: Bearer <token>` get 401. */
  token?: string | null;
  delayMs?: number;
}

export interface FakeGuardrail {
  url: string;
  requests: FakeGuardrailRequest[];
  token: string | null;
  delayMs: number;
  /** `slow` requests whose caller went away before the answer. */
  aborted: number;
  /** `${url}/${behaviour}` */
  endpoint(behaviour: FakeGuardrailBehaviour): string;
  stop(): Promise<void>;
}

export const SECRET_METADATA = {
  score: 0.25,
  api_key: "meta-secret-api-key",
  Authorization: "Bearer meta-secret",
  nested: { session_id: "meta-secret-session", label: "kept", items: [{ password: "meta-secret-pw", n: 1 }] },
};

function mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === "string") return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, map)]));
  }
  return value;
}

type Sent = { request?: unknown; response?: unknown; config?: Record<string, unknown> };

function modified(body: Sent, map: (text: string) => string): Record<string, unknown> {
  const field = body.request !== undefined ? "request" : "response";
  return { action: "modify", [field]: mapStrings(body[field], map), reason: "modified by the fake guardrail" };
}

export function startFakeGuardrail(options: FakeGuardrailOptions = {}): FakeGuardrail {
  const pending = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        pending.delete(done);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pending.add(done);
    });

  const fake: FakeGuardrail = {
    url: "",
    requests: [],
    token: options.token ?? null,
    delayMs: options.delayMs ?? 5_000,
    aborted: 0,
    endpoint: (behaviour) => `${fake.url}/${behaviour}`,
    stop: async () => {},
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req, srv) {
      const path = new URL(req.url).pathname;
      const text = await req.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      const headers = Object.fromEntries([...req.headers].map(([name, value]) => [name.toLowerCase(), value]));
      fake.requests.push({ path, headers, body, port: srv.requestIP(req)?.port ?? null });
      if (fake.token !== null && headers.authorization !== `Bearer ${fake.token}`) {
        return Response.json({ detail: "invalid token" }, { status: 401 });
      }
      const sent = (typeof body === "object" && body !== null ? body : {}) as Sent;
      switch (path.slice(1) as FakeGuardrailBehaviour) {
        case "allow":
          return Response.json({ action: "allow" });
        case "warn":
          return Response.json({ action: "warn", reason: "looks odd to the fake guardrail" });
        case "modify":
          return Response.json(modified(sent, (s) => s.toUpperCase()));
        case "replace": {
          const word = String(sent.config?.word ?? "darn");
          const replacement = String(sent.config?.replacement ?? "[removed]");
          return Response.json(modified(sent, (s) => s.replaceAll(word, replacement)));
        }
        case "block":
          return Response.json({ action: "block", reason: "blocked by the fake guardrail" });
        case "block-word": {
          const word = String(sent.config?.word ?? "darn");
          const seen = JSON.stringify(sent.request ?? sent.response ?? null).includes(word);
          return Response.json(seen ? { action: "block", reason: "blocked by the fake guardrail" } : { action: "allow" });
        }
        case "slow":
          req.signal.addEventListener("abort", () => void fake.aborted++, { once: true });
          await sleep(fake.delayMs);
          return Response.json({ action: "allow" });
        case "500":
          return Response.json({ detail: "fake guardrail exploded: internal-detail-xyz" }, { status: 500 });
        case "garbage":
          return new Response("<html>not json: internal-detail-xyz", { headers: { "content-type": "text/html" } });
        case "wrong-shape":
          return Response.json({ verdict: "fine" });
        case "modify-without-payload":
          return Response.json({ action: "modify" });
        case "secret-metadata":
          return Response.json({ action: "allow", metadata: SECRET_METADATA });
      }
      return Response.json({ detail: "Not Found" }, { status: 404 });
    },
  });

  fake.url = `http://127.0.0.1:${server.port}`;
  fake.stop = async () => {
    for (const release of [...pending]) release();
    await server.stop(true);
  };
  return fake;
}
