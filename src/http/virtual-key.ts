import { createHash, timingSafeEqual } from "node:crypto";
import { parseBearer } from "../core/credentials.ts";
import { keyStateVerdict } from "../core/policy.ts";
import { GatewayError } from "./errors.ts";
import type { KeyCache } from "../store/cache/key-cache.ts";
import type { KeyRecord } from "../store/repos/key-records.ts";

/** Contract 2 order: present ⇒ well-formed ⇒ known and secret matches. State is checked by the caller. */
export async function authenticateKey(header: string | undefined, keys: KeyCache): Promise<KeyRecord> {
  const bearer = parseBearer(header, "rk_live_");
  if (bearer.kind === "missing") throw new GatewayError("missing_authorization");
  if (bearer.kind === "malformed") throw new GatewayError("malformed_authorization");
  const record = await keys.authenticate(bearer.credential);
  if (!record) throw new GatewayError("invalid_virtual_key");
  return record;
}

/** Revoked / disabled / expired, revealed only to a caller who proved the secret. */
export function assertKeyUsable(key: KeyRecord, nowMs: number): void {
  const state = keyStateVerdict(key, nowMs);
  if (state) throw new GatewayError(state);
}

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const sha256 = (value: string) => createHash("sha256").update(value).digest();

/**
 * Task and run ids are recorded (and forwarded) only for trusted workers: requests whose
 * `x-relayna-worker-token` equals RELAYNA_WORKER_TOKEN (compared in constant time).
 */
export function workerIdentity(headers: Headers, workerToken: string | null): { taskId: string | null; runId: string | null } {
  const presented = headers.get("x-relayna-worker-token");
  if (!workerToken || !presented || !timingSafeEqual(sha256(presented), sha256(workerToken))) {
    return { taskId: null, runId: null };
  }
  const id = (name: string) => {
    const value = headers.get(name);
    return value !== null && SANE_ID.test(value) ? value : null;
  };
  return { taskId: id("x-relayna-task-id"), runId: id("x-relayna-run-id") };
}
