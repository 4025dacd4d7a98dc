import { describe, expect, test } from "bun:test";
import { DEFAULT_GUARDRAIL_POLICY } from "../../core/guardrail-policy.ts";
import { DEFAULT_KEY_POLICY } from "../../core/key-policy-patch.ts";
import { digestCredential, formatCredential } from "../../core/credentials.ts";
import type { KeyRecord } from "../repos/key-records.ts";
import { createKeyCache } from "./key-cache.ts";

const credential = formatCredential("rk_live_", new Uint8Array(32).fill(7));
const record = (over: Partial<KeyRecord> = {}): KeyRecord => ({
  id: "k1",
  digest: digestCredential(credential),
  ownerType: "individual",
  projectId: "p1",
  disabled: false,
  revokedAtMs: null,
  expiresAtMs: null,
  policy: { ...DEFAULT_KEY_POLICY },
  serviceNames: [],
  guardrailPolicy: { ...DEFAULT_GUARDRAIL_POLICY },
  ...over,
});

function setup(initial: KeyRecord | null = record()) {
  let clock = 0;
  let current = initial;
  const loads: string[] = [];
  let gate: Promise<void> | null = null;
  const cache = createKeyCache({
    load: async (digest) => {
      loads.push(digest);
      const seen = current;
      if (gate) await gate;
      return seen;
    },
    ttlMs: 1000,
    negativeTtlMs: 100,
    maxEntries: 10,
    now: () => clock,
  });
  return {
    cache,
    loads,
    set: (r: KeyRecord | null) => void (current = r),
    tick: (ms: number) => void (clock += ms),
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

describe("key cache", () => {
  test("a cached key costs no load; a wrong secret never matches", async () => {
    const s = setup();
    expect((await s.cache.authenticate(credential))?.id).toBe("k1");
    expect((await s.cache.authenticate(credential))?.id).toBe("k1");
    expect(s.loads).toHaveLength(1);
    s.set(record({ digest: "00".repeat(32) }));
    s.cache.clear();
    expect(await s.cache.authenticate(credential)).toBeNull();
  });

  test("invalidating a key (or its project) makes the very next call reload", async () => {
    const s = setup();
    await s.cache.authenticate(credential);
    s.set(record({ disabled: true }));
    s.cache.invalidateKey("k1");
    expect((await s.cache.authenticate(credential))?.disabled).toBe(true);
    s.set(record({ serviceNames: ["a"] }));
    s.cache.invalidateProject("p1");
    expect((await s.cache.authenticate(credential))?.serviceNames).toEqual(["a"]);
    s.cache.invalidateProject("other");
    await s.cache.authenticate(credential);
    expect(s.loads).toHaveLength(3);
  });

  test("a load in flight during an invalidation does not store what it read", async () => {
    const s = setup();
    const release = s.hold();
    const pending = s.cache.authenticate(credential);
    s.cache.invalidateKey("k1");
    s.set(record({ revokedAtMs: 5 }));
    release();
    await pending;
    expect((await s.cache.authenticate(credential))?.revokedAtMs).toBe(5);
  });

  test("past the TTL the entry still answers while a background load refreshes it", async () => {
    const s = setup();
    await s.cache.authenticate(credential);
    s.set(record({ disabled: true }));
    s.tick(1500);
    expect((await s.cache.authenticate(credential))?.disabled).toBe(false);
    await Bun.sleep(0);
    expect((await s.cache.authenticate(credential))?.disabled).toBe(true);
  });

  test("unknown keys are remembered briefly", async () => {
    const s = setup(null);
    expect(await s.cache.authenticate(credential)).toBeNull();
    expect(await s.cache.authenticate(credential)).toBeNull();
    expect(s.loads).toHaveLength(1);
  });
});
