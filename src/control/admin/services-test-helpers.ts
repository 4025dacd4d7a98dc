import type { ServiceView } from "../../store/repos/services-view.ts";
import type { TestGateway } from "../../testing/test-gateway.ts";
import { call, jsonOf } from "./admin-test-helpers.ts";

/** A service as `/admin/services` shows it. */
export type Service = ServiceView;

/** Calls the admin API and keeps every response body, to prove no secret ever appeared in one. */
export function recordingClient(gw: () => TestGateway) {
  const bodies: string[] = [];
  const send = async (method: string, path: string, body?: unknown) => {
    const res = await call(gw(), method, path, body);
    bodies.push(await res.clone().text());
    return res;
  };
  const ok = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown, status = 200) =>
    jsonOf<T>(await send(method, path, body), status);
  return { bodies, send, ok };
}
