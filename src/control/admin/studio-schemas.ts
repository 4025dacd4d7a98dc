import * as v from "valibot";
import { HTTP_BASE_URL_RULE, isHttpBaseUrl } from "../../core/service-urls.ts";
import { exactObject } from "./common-schemas.ts";

/** A blank base URL means none, like null: the environment's applies again. */
const baseUrl = v.pipe(
  v.string(),
  v.trim(),
  v.check((text) => text === "" || isHttpBaseUrl(text), HTTP_BASE_URL_RULE),
  v.transform((text) => (text === "" ? null : text)),
);
// Write-only: checked for presence, never echoed. It goes into an Authorization header.
const token = v.pipe(
  v.string(),
  v.check((text) => text.trim() !== "", "must not be blank (null removes it)"),
  v.check((text) => !/\s/.test(text), "must not contain whitespace"),
  v.maxLength(4096, "must be at most 4096 characters"),
);

/** Absent = unchanged; `base_url: null` (or blank) returns to the environment; `token: null` clears it. */
export const updateStudioConnectionBody = exactObject({
  base_url: v.optional(v.nullable(baseUrl)),
  token: v.optional(v.nullable(token)),
});
