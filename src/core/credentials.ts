export const VIRTUAL_KEY_PREFIX = "rk_live_";
export const OPERATOR_TOKEN_PREFIX = "op_live_";
export type CredentialKind = typeof VIRTUAL_KEY_PREFIX | typeof OPERATOR_TOKEN_PREFIX;

/** The display / lookup prefix: the first 16 characters (contract 2). */
export const LOOKUP_PREFIX_LENGTH = 16;
const SECRET_HEX_LENGTH = 64;

const SHAPES: Record<CredentialKind, RegExp> = {
  rk_live_: /^rk_live_[0-9a-f]{64}$/,
  op_live_: /^op_live_[0-9a-f]{64}$/,
};

export type BearerVerdict =
  | { kind: "missing" }
  | { kind: "malformed" }
  | { kind: "ok"; credential: string };

/** Authorization header ⇒ present? ⇒ `Bearer <credential of this kind>`? (contract 2 order). */
export function parseBearer(header: string | undefined, kind: CredentialKind): BearerVerdict {
  if (header === undefined || header.trim() === "") return { kind: "missing" };
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match || !SHAPES[kind].test(match[1]!)) return { kind: "malformed" };
  return { kind: "ok", credential: match[1]! };
}

/** 32 random bytes ⇒ `<prefix><64 hex>`: 256 bits, so a fast digest is a safe verifier. */
export function formatCredential(kind: CredentialKind, random: Uint8Array): string {
  if (random.length * 2 !== SECRET_HEX_LENGTH) throw new Error("credentials need exactly 32 random bytes");
  return kind + Buffer.from(random).toString("hex");
}

export function lookupPrefix(credential: string): string {
  return credential.slice(0, LOOKUP_PREFIX_LENGTH);
}

/** SHA-256 hex of the credential (Bun's one-shot hasher: no Hash object per request). */
export function digestCredential(credential: string): string {
  return Bun.SHA256.hash(credential, "hex");
}

/**
 * Constant-time comparison of two hex digests: every character is looked at whatever differs,
 * and nothing is allocated (it runs on every authenticated request).
 */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
