/**
 * Studio's catalog endpoint (contract 7, seed "Studio Import Connectivity"). Each failure
 * answers one question of the seed's checklist — URL reachable? path there? token accepted?
 * shape valid? — and never repeats the token or what Studio answered.
 */
import { joinUrlPath } from "../core/service-urls.ts";

export const CATALOG_PATH = "/studio/gateway/services";
export const STUDIO_TIMEOUT_MS = 8_000;
const MAX_CATALOG_BYTES = 16 * 1024 * 1024;
const MAX_CATALOG_ROWS = 10_000;

export type StudioFailureKind =
  | "timeout"
  | "unreachable"
  | "redirect"
  | "unauthorized"
  | "not_found"
  | "server_error"
  | "http_error"
  | "too_large"
  | "not_json"
  | "wrong_shape";

export type CatalogResult = { ok: true; rows: unknown[] } | { ok: false; kind: StudioFailureKind; message: string };

export interface CatalogClientOptions {
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
}

function statusFailure(status: number, where: string, hasToken: boolean): CatalogResult {
  if (status === 401 || status === 403) {
    const hint = hasToken
      ? "does the configured Studio token match the token Studio expects?"
      : "Studio requires a token and none is configured: set the Studio token.";
    return { ok: false, kind: "unauthorized", message: `${where} answered HTTP ${status}: ${hint}` };
  }
  if (status === 404) {
    return {
      ok: false,
      kind: "not_found",
      message: `${where} answered HTTP 404: is ${CATALOG_PATH} there? The base URL must be Studio's backend, not its UI.`,
    };
  }
  if (status >= 300 && status < 400) {
    return {
      ok: false,
      kind: "redirect",
      message: `${where} answered a redirect (HTTP ${status}): configure the final backend URL (http vs https, path prefix) as the base URL.`,
    };
  }
  if (status >= 500) {
    return {
      ok: false,
      kind: "server_error",
      message: `${where} answered HTTP ${status}: Studio itself failed; check Studio's logs.`,
    };
  }
  return { ok: false, kind: "http_error", message: `${where} answered HTTP ${status} instead of the service list.` };
}

/** The rows of `{"services": [...]}` or of a bare array; null for any other shape. */
export function catalogRows(body: unknown): unknown[] | null {
  if (Array.isArray(body)) return body;
  if (typeof body === "object" && body !== null && Array.isArray((body as { services?: unknown }).services)) {
    return (body as { services: unknown[] }).services;
  }
  return null;
}

/** GET `<base>/studio/gateway/services`, bearer token if any, one total deadline for headers and body. */
export async function fetchStudioCatalog(
  connection: { baseUrl: string; token: string | null },
  options: CatalogClientOptions = {},
): Promise<CatalogResult> {
  const timeoutMs = options.timeoutMs ?? STUDIO_TIMEOUT_MS;
  const url = joinUrlPath(connection.baseUrl, CATALOG_PATH);
  const where = `Studio at ${new URL(url).origin}`;
  const headers: Record<string, string> = { accept: "application/json" };
  if (connection.token) headers.authorization = `Bearer ${connection.token}`;
  const signal = AbortSignal.timeout(timeoutMs);
  const timedOut: CatalogResult = {
    ok: false,
    kind: "timeout",
    message: `${where} did not answer within ${seconds(timeoutMs)}: is the backend base URL reachable from the gateway, and is Studio responsive?`,
  };

  let res: Response;
  try {
    // No redirects: the token must not follow one to another host.
    res = await (options.fetch ?? fetch)(url, { headers, signal, redirect: "manual" });
  } catch (err) {
    if (isTimeout(err) || signal.aborted) return timedOut;
    return {
      ok: false,
      kind: "unreachable",
      message: `${where} could not be reached (connection refused, DNS or TLS failure): check that the base URL is reachable from the gateway.`,
    };
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    return statusFailure(res.status, where, connection.token !== null);
  }
  const length = Number(res.headers.get("content-length") ?? "0");
  if (length > MAX_CATALOG_BYTES) {
    await res.body?.cancel().catch(() => {});
    return { ok: false, kind: "too_large", message: `${where} answered more than ${MAX_CATALOG_BYTES} bytes.` };
  }
  let text: string;
  try {
    text = await res.text();
  } catch {
    return signal.aborted
      ? timedOut
      : { ok: false, kind: "unreachable", message: `${where} closed the connection before its answer was complete.` };
  }
  if (text.length > MAX_CATALOG_BYTES) {
    return { ok: false, kind: "too_large", message: `${where} answered more than ${MAX_CATALOG_BYTES} bytes.` };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const html = /^\s*</.test(text) || (res.headers.get("content-type") ?? "").includes("html");
    const hint = html
      ? "it looks like an HTML page: is the base URL Studio's backend, not its UI?"
      : `is ${CATALOG_PATH} Studio's catalog endpoint?`;
    return { ok: false, kind: "not_json", message: `${where} answered something that is not JSON: ${hint}` };
  }
  const rows = catalogRows(body);
  if (rows === null) {
    return {
      ok: false,
      kind: "wrong_shape",
      message: `${where} answered JSON that is not a list of services (expected {"services": [...]} or an array): is this Studio's catalog endpoint, and a compatible Studio version?`,
    };
  }
  if (rows.length > MAX_CATALOG_ROWS) {
    return { ok: false, kind: "too_large", message: `${where} listed more than ${MAX_CATALOG_ROWS} services.` };
  }
  return { ok: true, rows };
}
