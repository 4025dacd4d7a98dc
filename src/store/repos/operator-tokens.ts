import { and, eq, isNull, lt, or } from "drizzle-orm";
import {
  digestCredential,
  digestsEqual,
  formatCredential,
  lookupPrefix,
  OPERATOR_TOKEN_PREFIX,
} from "../../core/credentials.ts";
import type { Db } from "../db.ts";
import { operatorTokens } from "../schema.ts";

export type OperatorAuthVerdict =
  | { ok: true; tokenId: string }
  | { ok: false; code: "invalid_operator_token" | "disabled_operator_token" };

export interface OperatorTokenView {
  id: string;
  token_prefix: string;
  created_at: string;
}

export interface OperatorTokens {
  /** Proves a well-formed raw token against the stored digests (constant-time compare). */
  authenticate(credential: string): Promise<OperatorAuthVerdict>;
  /** Revokes `currentTokenId` and creates the new active token; null if it was already revoked. */
  rotate(currentTokenId: string): Promise<{ token: OperatorTokenView; rawToken: string } | null>;
  /**
   * First start: when no active token exists, store `seed` (hash only) or a new random token.
   * Returns the raw token only when this call generated it (the caller prints it once).
   */
  bootstrap(seed: string | null): Promise<{ created: boolean; generated: string | null }>;
  /** Writes the in-memory last-use times (at most one UPDATE per token used since the last flush). */
  flushLastUsed(): Promise<void>;
}

export interface OperatorTokenOptions {
  random?: (size: number) => Uint8Array;
  now?: () => Date;
}

const UNIQUE_VIOLATION = "23505";

function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    if ((e as { code?: unknown }).code === UNIQUE_VIOLATION) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export function createOperatorTokens(db: Db, options: OperatorTokenOptions = {}): OperatorTokens {
  const random = options.random ?? ((size: number) => crypto.getRandomValues(new Uint8Array(size)));
  const now = options.now ?? (() => new Date());
  // Last use is tracked in memory and flushed periodically: no database write per admin request.
  const lastUsed = new Map<string, Date>();

  const newToken = () => {
    const raw = formatCredential(OPERATOR_TOKEN_PREFIX, random(32));
    return { raw, row: { tokenPrefix: lookupPrefix(raw), tokenDigest: digestCredential(raw) } };
  };

  return {
    async authenticate(credential) {
      const digest = digestCredential(credential);
      const candidates = await db
        .select({ id: operatorTokens.id, digest: operatorTokens.tokenDigest, revokedAt: operatorTokens.revokedAt })
        .from(operatorTokens)
        .where(eq(operatorTokens.tokenPrefix, lookupPrefix(credential)));
      const match = candidates.find((row) => digestsEqual(row.digest, digest));
      if (!match) return { ok: false, code: "invalid_operator_token" };
      if (match.revokedAt !== null) return { ok: false, code: "disabled_operator_token" };
      lastUsed.set(match.id, now());
      return { ok: true, tokenId: match.id };
    },

    async rotate(currentTokenId) {
      const { raw, row } = newToken();
      return db.transaction(async (tx) => {
        const revoked = await tx
          .update(operatorTokens)
          .set({ revokedAt: now() })
          .where(and(eq(operatorTokens.id, currentTokenId), isNull(operatorTokens.revokedAt)))
          .returning({ id: operatorTokens.id });
        if (revoked.length === 0) return null;
        const [created] = await tx.insert(operatorTokens).values(row).returning();
        lastUsed.delete(currentTokenId);
        return {
          rawToken: raw,
          token: { id: created!.id, token_prefix: created!.tokenPrefix, created_at: created!.createdAt.toISOString() },
        };
      });
    },

    async bootstrap(seed) {
      const active = await db
        .select({ id: operatorTokens.id })
        .from(operatorTokens)
        .where(isNull(operatorTokens.revokedAt))
        .limit(1);
      if (active.length > 0) return { created: false, generated: null };
      const token = seed
        ? { raw: null, row: { tokenPrefix: lookupPrefix(seed), tokenDigest: digestCredential(seed) } }
        : newToken();
      try {
        await db.insert(operatorTokens).values(token.row);
      } catch (err) {
        // Another replica bootstrapped first: the partial unique index keeps exactly one active token.
        if (isUniqueViolation(err)) return { created: false, generated: null };
        throw err;
      }
      return { created: true, generated: token.raw };
    },

    async flushLastUsed() {
      const pending = [...lastUsed];
      lastUsed.clear();
      for (const [id, at] of pending) {
        await db
          .update(operatorTokens)
          .set({ lastUsedAt: at })
          .where(and(eq(operatorTokens.id, id), or(isNull(operatorTokens.lastUsedAt), lt(operatorTokens.lastUsedAt, at))));
      }
    },
  };
}
