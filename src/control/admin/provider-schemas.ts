import * as v from "valibot";
import { exactObject } from "./common-schemas.ts";
import { pageQueryEntries } from "./pagination.ts";

/** http(s) with a host, as the database CHECK demands; userinfo is refused so no secret hides in a URL. */
export function isProviderUrl(text: string): boolean {
  if (!/^https?:\/\/[^/\s]+/.test(text)) return false;
  try {
    const url = new URL(text);
    return url.hostname !== "" && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}

const name = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, "must not be blank"),
  v.maxLength(128, "must be at most 128 characters"),
);
const baseUrl = v.pipe(
  v.string(),
  v.trim(),
  v.maxLength(2048, "must be at most 2048 characters"),
  v.check(isProviderUrl, "must be an http:// or https:// URL with a host and no user info"),
);
// Write-only: checked for presence, never echoed.
const credential = v.pipe(
  v.string(),
  v.check((text) => text.trim() !== "", "must not be blank (null removes it)"),
  v.maxLength(8192, "must be at most 8192 characters"),
);

export const createProviderBody = exactObject({
  kind: v.picklist(["litellm", "internal-service"]),
  name,
  base_url: baseUrl,
  credential: v.optional(v.nullable(credential)),
  enabled: v.optional(v.boolean(), true),
});

/** The kind is fixed at creation; `credential: null` clears the credential. */
export const updateProviderBody = exactObject({
  name: v.optional(name),
  base_url: v.optional(baseUrl),
  credential: v.optional(v.nullable(credential)),
  enabled: v.optional(v.boolean()),
});

export const listProvidersQuery = exactObject(pageQueryEntries);
