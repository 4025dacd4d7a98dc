import * as v from "valibot";
import { SERVICE_NAME } from "../../core/service-names.ts";
import { routePatternProblem } from "../../core/service-route-patterns.ts";
import { COST_MODES, HTTP_METHODS, MAX_FALLBACK_SERVICES, type HttpMethod } from "../../core/service-settings.ts";
import { exactObject, uuidField } from "./common-schemas.ts";
import { pageQueryEntries } from "./pagination.ts";

/** Absent = unchanged (or the default on create), null = cleared / back to the default. */
const patchable = <S extends v.GenericSchema>(schema: S) => v.optional(v.nullable(schema));

const serviceName = v.pipe(
  v.string(),
  v.regex(SERVICE_NAME, "must be 1-64 lowercase letters, digits or dashes, starting and ending with a letter or digit"),
);
const text = (max: number) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.minLength(1, "must not be blank (null removes it)"),
    v.maxLength(max, `must be at most ${max} characters`),
  );
const routePattern = v.pipe(
  v.string(),
  v.trim(),
  v.rawCheck(({ dataset, addIssue }) => {
    const problem = dataset.typed ? routePatternProblem(dataset.value) : null;
    if (problem) addIssue({ message: problem });
  }),
);
// Checked further by the handler: a bad URL is its own code, invalid_service_upstream.
const upstreamUrl = v.pipe(v.string(), v.trim());
const methods = v.pipe(
  v.array(
    v.pipe(
      v.string(),
      v.trim(),
      v.toUpperCase(),
      v.picklist(HTTP_METHODS, `must be one of ${HTTP_METHODS.join(", ")}`),
    ),
  ),
  v.minLength(1, "must list at least one method"),
  // Canonical order: equal sets compare equal.
  v.transform((list: HttpMethod[]) => HTTP_METHODS.filter((m) => list.includes(m))),
);
// Write-only: checked for presence, never echoed.
const credential = v.pipe(
  v.string(),
  v.check((value) => value.trim() !== "", "must not be blank (null removes it)"),
  v.maxLength(8192, "must be at most 8192 characters"),
);
const intRange = (min: number, max: number) =>
  v.pipe(
    v.number(),
    v.integer(`must be an integer from ${min} to ${max}`),
    v.minValue(min, `must be an integer from ${min} to ${max}`),
    v.maxValue(max, `must be an integer from ${min} to ${max}`),
  );
// numeric(18, 8) in the database.
const usd = v.pipe(
  v.number(),
  v.finite("must be a finite number"),
  v.minValue(0, "must be a number >= 0"),
  v.check((value) => value < 1e10, "must be below 10000000000"),
  v.check((value) => Math.abs(Math.round(value * 1e8) / 1e8 - value) < 1e-12, "must have at most 8 decimal places"),
);
const fallbacks = v.pipe(
  v.array(serviceName),
  v.maxLength(MAX_FALLBACK_SERVICES, `must list at most ${MAX_FALLBACK_SERVICES} services`),
  // Tried in order: duplicates dropped, the first place kept.
  v.transform((list: string[]) => [...new Set(list)]),
);

const settingsEntries = {
  display_name: patchable(text(200)),
  project_id: patchable(uuidField),
  studio_service_id: patchable(text(200)),
  route_pattern: patchable(routePattern),
  upstream_base_url: patchable(upstreamUrl),
  allowed_methods: patchable(methods),
  credential: patchable(credential),
  timeout_ms: patchable(intRange(1, 600_000)),
  max_body_bytes: patchable(intRange(1, 100 * 1024 * 1024)),
  cost_mode: patchable(v.picklist(COST_MODES)),
  estimated_cost_usd: patchable(usd),
  fallback_services: patchable(fallbacks),
};

export const createServiceBody = exactObject({
  name: serviceName,
  ...settingsEntries,
  enabled: v.optional(v.boolean()),
});

/** The name is the service's identity (links and fallbacks refer to it): it cannot change. */
export const updateServiceBody = exactObject({ ...settingsEntries, enabled: v.optional(v.boolean()) });

export type ServiceFields = v.InferOutput<typeof updateServiceBody>;

const nameCursor = v.pipe(
  v.string(),
  v.transform((cursor) => Buffer.from(cursor, "base64url").toString("utf8")),
  v.regex(SERVICE_NAME, "is not a cursor this list returned"),
);

export const listServicesQuery = exactObject({ limit: pageQueryEntries.limit, cursor: v.optional(nameCursor) });

export const encodeNameCursor = (name: string) => Buffer.from(name, "utf8").toString("base64url");

export const importBody = v.pipe(
  exactObject({
    studio_service_ids: v.optional(
      v.pipe(
        v.array(text(200)),
        v.minLength(1, 'must list at least one id (or send {"all": true})'),
        v.maxLength(1000, "must list at most 1000 ids"),
        v.transform((list: string[]) => [...new Set(list)]),
      ),
    ),
    all: v.optional(v.literal(true, "must be true (or absent)")),
  }),
  v.check(
    (body) => (body.all === true) !== (body.studio_service_ids !== undefined),
    "must have exactly one of `studio_service_ids` and `all: true`",
  ),
);
