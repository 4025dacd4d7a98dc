import { GatewayError } from "../http/errors.ts";

const decoder = new TextDecoder();

/**
 * The request body, read once and bounded: a declared length over the limit is refused before
 * reading, and an undeclared (chunked) one is cut off as soon as it passes the limit.
 */
export async function readBoundedBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (declared > limit) throw new GatewayError("request_body_too_large");
  // A declared length is read natively; touching request.body first would build a JS stream.
  if (Number.isFinite(declared)) {
    const bytes = await request.bytes();
    if (bytes.length > limit) throw new GatewayError("request_body_too_large");
    return bytes;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new GatewayError("request_body_too_large");
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** A JSON object body parsed once; anything else is `invalid_request_body`. */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new GatewayError("invalid_request_body");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new GatewayError("invalid_request_body");
  return value as Record<string, unknown>;
}
