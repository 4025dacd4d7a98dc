/**
 * What an admin write changed, so hot-path caches drop exactly that: immediately on this
 * replica, and on the others through Redis pub/sub (contract: within one second).
 */
export type InvalidationEvent =
  | { kind: "key"; keyId: string }
  /** A project's service links or name changed: every key of the project. */
  | { kind: "project"; projectId: string }
  /** The AI route toggles. */
  | { kind: "routes" }
  /** Provider configurations (LiteLLM override, internal-service providers). */
  | { kind: "providers" }
  /** Service registrations or their links. */
  | { kind: "services" }
  /** The model price table. */
  | { kind: "prices" }
  /** Anything that reaches into every key (e.g. the guardrail catalog): drop everything. */
  | { kind: "all" };

/** Called by admin handlers after a successful write; never throws, never blocks the response. */
export type Invalidate = (event: InvalidationEvent) => void;
