/**
 * An http(s) base URL with a host, as the database CHECKs demand. User info is refused so no
 * secret hides in a URL that the API shows; a query or fragment would break path joining.
 */
export function isHttpBaseUrl(text: string): boolean {
  if (text.length > 2048 || !/^https?:\/\/[^/\s]+/.test(text)) return false;
  try {
    const url = new URL(text);
    return url.hostname !== "" && url.username === "" && url.password === "" && url.search === "" && url.hash === "";
  } catch {
    return false;
  }
}

export const HTTP_BASE_URL_RULE = "must be an http:// or https:// URL with a host, and no user info, query or fragment";

/** `base` joined with an absolute path, whatever trailing slashes the operator typed. */
export function joinUrlPath(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}
