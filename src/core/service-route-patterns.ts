/** Route patterns of registered services (contract 4, 7): exact, or a `P/*` wildcard. */

export const MAX_ROUTE_PATTERN_LENGTH = 512;

export function defaultRoutePattern(name: string): string {
  return `/services/${name}/*`;
}

// The gateway's own route families: registered patterns are resolved first (contract 4), so a
// pattern here would take AI traffic away from its routes.
const RESERVED = ["/v1", "/providers"];
// Path characters of RFC 3986 (pchar and "/"), nothing that starts a query or fragment.
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()+,;=:@%/]*$/;

/** Why `pattern` cannot be registered, or null when it can. */
export function routePatternProblem(pattern: string): string | null {
  if (pattern.length === 0 || pattern.length > MAX_ROUTE_PATTERN_LENGTH) {
    return `must be 1-${MAX_ROUTE_PATTERN_LENGTH} characters`;
  }
  if (!pattern.startsWith("/")) return "must start with /";
  if (pattern.includes("//")) return "must not contain //";
  const wildcard = pattern.endsWith("/*");
  const prefix = wildcard ? pattern.slice(0, -2) : pattern;
  if (!PATH_CHARS.test(prefix)) {
    return "must be a path (letters, digits, - . _ ~ and the like) that is exact or ends in /*; * only as the final /*";
  }
  if (prefix.split("/").some((segment) => segment === "." || segment === "..")) {
    return "must not contain . or .. segments";
  }
  if (wildcard && prefix === "") return "must not be /*, which would capture every path of the gateway";
  if (wildcard && prefix.toLowerCase() === "/services") {
    return "must not be /services/*, which would capture every service's /services/<name>/ alias";
  }
  const lower = prefix.toLowerCase();
  const reserved = RESERVED.find((root) => lower === root || lower.startsWith(`${root}/`));
  if (reserved) return `must not be under ${reserved}/, which the gateway's own routes use`;
  return null;
}
