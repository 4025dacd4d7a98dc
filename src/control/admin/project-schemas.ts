import * as v from "valibot";
import { exactObject, serviceNamesField } from "./common-schemas.ts";
import { pageQueryEntries } from "./pagination.ts";

const projectName = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, "must not be blank"),
  v.maxLength(128, "must be at most 128 characters"),
);

export const createProjectBody = exactObject({
  name: projectName,
  service_names: v.optional(serviceNamesField, []),
});

/** Absent = unchanged; `service_names` replaces every link, null clears them. */
export const updateProjectBody = exactObject({
  name: v.optional(projectName),
  service_names: v.optional(v.nullable(serviceNamesField)),
});

export const listProjectsQuery = exactObject(pageQueryEntries);
