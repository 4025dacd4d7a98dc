import { expect } from "bun:test";
import { ERROR_CODES, type ErrorCode } from "../../http/error-codes.ts";
import { serviceRegistrations } from "../../store/schema.ts";
import type { TestGateway } from "../../testing/test-gateway.ts";

/** Admin JSON request through the real control listener. */
export async function call(gw: TestGateway, method: string, path: string, body?: unknown): Promise<Response> {
  return gw.adminFetch(path, {
    method,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    headers: body === undefined ? {} : { "content-type": "application/json" },
  });
}

export async function jsonOf<T = Record<string, unknown>>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
  expect(res.headers.get("content-type")).toContain("application/json");
  return JSON.parse(text) as T;
}

/** Asserts the whole contract 3 envelope; `message` may be a substring the message must contain. */
export async function expectError(res: Response, code: ErrorCode, message?: string): Promise<string> {
  const { status, type } = ERROR_CODES[code];
  const body = await jsonOf<{ error: Record<string, unknown> }>(res, status);
  expect(body).toEqual({
    error: { code, type, message: expect.any(String), request_id: res.headers.get("x-request-id") },
  });
  if (message !== undefined) expect(body.error.message as string).toContain(message);
  return body.error.message as string;
}

/** A service registration, straight into the table (the services API is not under test here). */
export async function registerService(gw: TestGateway, name: string): Promise<void> {
  await gw.gateway.database.db.insert(serviceRegistrations).values({ name, routePattern: `/${name}` });
}

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const MISSING_ID = "00000000-0000-4000-8000-000000000000";
