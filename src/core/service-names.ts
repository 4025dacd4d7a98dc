/** Contract 7: 1–64 of `a-z0-9-`, alphanumeric at both ends (the database CHECK says the same). */
export const SERVICE_NAME = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;
export const MAX_SERVICE_NAME_LENGTH = 64;

export function isServiceName(text: string): boolean {
  return SERVICE_NAME.test(text);
}

/**
 * A gateway name from a Studio label: lowercase, every run of other characters becomes one
 * dash, no dash at either end, at most 64 characters. null when nothing usable is left.
 */
export function normalizeServiceName(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  const name = raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_SERVICE_NAME_LENGTH)
    .replace(/-+$/, "");
  return isServiceName(name) ? name : null;
}
