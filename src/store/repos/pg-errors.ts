/** SQLSTATEs the admin repos translate into domain outcomes. */
export const UNIQUE_VIOLATION = "23505";
export const FOREIGN_KEY_VIOLATION = "23503";
/** ON DELETE RESTRICT: PostgreSQL before 18 reports 23503, newer versions (and PGlite) 23001. */
export const RESTRICT_VIOLATION = "23001";

export interface PgConstraintError {
  code: string;
  /** The violated constraint or index (postgres.js: `constraint_name`, PGlite: `constraint`). */
  constraint: string | null;
}

/** The PostgreSQL error behind err (drizzle wraps driver errors in `cause`), if it is one of `codes`. */
export function constraintError(err: unknown, codes: readonly string[]): PgConstraintError | null {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const { code, constraint_name, constraint } = e as { code?: unknown; constraint_name?: unknown; constraint?: unknown };
    if (typeof code === "string" && codes.includes(code)) {
      const name = [constraint_name, constraint].find((value) => typeof value === "string") as string | undefined;
      return { code, constraint: name ?? null };
    }
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** Thrown inside a transaction to roll it back with a domain outcome the repo then returns. */
export class Rejected<R> extends Error {
  constructor(readonly outcome: R) {
    super("rejected");
  }
}

/** Runs `write`; a `Rejected` thrown inside becomes its outcome, other errors go to `translate` or propagate. */
export async function settle<T, R>(
  write: () => Promise<T>,
  translate: (err: unknown) => R | null = () => null,
): Promise<T | R> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof Rejected) return err.outcome as R;
    const outcome = translate(err);
    if (outcome !== null) return outcome;
    throw err;
  }
}
