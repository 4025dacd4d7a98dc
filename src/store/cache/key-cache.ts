import { digestCredential, digestsEqual } from "../../core/credentials.ts";
import type { KeyRecord } from "../repos/key-records.ts";

export interface KeyCacheOptions {
  /** Loads the key with this digest (a database query: only on a miss). */
  load: (digest: string) => Promise<KeyRecord | null>;
  /** Safety net behind explicit invalidation. */
  ttlMs: number;
  /** Unknown digests are remembered this long, so repeating a bad key does not hit the database. */
  negativeTtlMs: number;
  maxEntries: number;
  now?: () => number;
}

interface Entry {
  record: KeyRecord | null;
  expiresAt: number;
}

export interface KeyCache {
  /** The key this raw credential proves, or null. */
  authenticate(credential: string): Promise<KeyRecord | null>;
  invalidateKey(keyId: string): void;
  invalidateProject(projectId: string): void;
  clear(): void;
  size(): number;
}

/**
 * Keys by digest. Invalidation deletes entries (the next request loads again); the TTL is a
 * safety net refreshed in the background. A generation counter
 * keeps a load that was in flight during an invalidation from storing what it read before the
 * write. Entries are bounded: the oldest go first.
 */
export function createKeyCache(options: KeyCacheOptions): KeyCache {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const loading = new Map<string, Promise<KeyRecord | null>>();
  let generation = 0;

  function store(digest: string, record: KeyRecord | null) {
    if (entries.size >= options.maxEntries) entries.delete(entries.keys().next().value!);
    entries.set(digest, { record, expiresAt: now() + (record ? options.ttlMs : options.negativeTtlMs) });
  }

  function load(digest: string): Promise<KeyRecord | null> {
    let pending = loading.get(digest);
    if (!pending) {
      const startedAt = generation;
      pending = options.load(digest).finally(() => loading.delete(digest));
      loading.set(digest, pending);
      pending.then((record) => generation === startedAt && store(digest, record), () => {});
    }
    return pending;
  }

  function dropWhere(match: (record: KeyRecord) => boolean) {
    generation++;
    for (const [digest, entry] of entries) if (entry.record && match(entry.record)) entries.delete(digest);
  }

  return {
    async authenticate(credential) {
      const digest = digestCredential(credential);
      const entry = entries.get(digest);
      let record: KeyRecord | null;
      if (!entry) record = await load(digest);
      else {
        // Past its TTL an entry still answers while a background load refreshes it.
        if (entry.expiresAt <= now()) load(digest).catch(() => {});
        record = entry.record;
      }
      // The stored digest is compared in constant time, whatever found the record.
      return record && digestsEqual(record.digest, digest) ? record : null;
    },
    invalidateKey: (keyId) => dropWhere((record) => record.id === keyId),
    invalidateProject: (projectId) => dropWhere((record) => record.projectId === projectId),
    clear() {
      generation++;
      entries.clear();
    },
    size: () => entries.size,
  };
}
