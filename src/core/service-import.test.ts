import { describe, expect, test } from "bun:test";
import { normalizeStudioRow, type ImportableEntry } from "./service-catalog.ts";
import {
  importConflict,
  indexRegistry,
  mergeStudioSeeded,
  sameJson,
  sameSeeded,
  type StudioSeeded,
} from "./service-import.ts";

const entryOf = (row: Record<string, unknown>) =>
  normalizeStudioRow({ studio_service_id: "svc", name: "pay", ...row }) as ImportableEntry;

test("importConflict: re-imports never conflict; new rows must not take a name or route", () => {
  const index = indexRegistry([
    { name: "pay", studioServiceId: null, routePattern: "/services/pay/*" },
    { name: "linked", studioServiceId: "svc-linked", routePattern: "/x" },
  ]);
  expect(importConflict(entryOf({}), index)).toContain('a service named "pay" already exists');
  expect(importConflict(entryOf({ studio_service_id: "svc-linked", name: "pay" }), index)).toBeNull();
  expect(importConflict(entryOf({ name: "other", route_pattern: "/x" }), index)).toBe(
    'route pattern "/x" is already used by service "linked"',
  );
  expect(importConflict(entryOf({ name: "other" }), index)).toBeNull();
});

describe("mergeStudioSeeded", () => {
  const first = entryOf({ display_name: "Pay", base_url: "http://a", allowed_methods: ["POST"] });
  const imported: StudioSeeded = {
    displayName: first.displayName,
    upstreamBaseUrl: first.upstreamBaseUrl,
    allowedMethods: first.allowedMethods,
    studioMetadata: first.metadata,
  };
  const next = entryOf({
    display_name: "Pay v2",
    base_url: "http://b",
    allowed_methods: ["GET", "POST"],
    status: "beta",
  });

  test("the same catalog again changes nothing", () => {
    const merged = mergeStudioSeeded(imported, first);
    expect(merged).toEqual(imported);
    expect(sameSeeded(merged, imported)).toBe(true);
  });

  test("untouched seeded fields follow Studio", () => {
    expect(mergeStudioSeeded(imported, next)).toEqual({
      displayName: "Pay v2",
      upstreamBaseUrl: "http://b",
      allowedMethods: ["GET", "POST"],
      studioMetadata: next.metadata,
    });
  });

  test("fields the operator changed stay theirs", () => {
    const edited = {
      ...imported,
      displayName: "Ops name",
      upstreamBaseUrl: "http://mine",
      allowedMethods: ["PUT" as const],
    };
    expect(mergeStudioSeeded(edited, next)).toEqual({ ...edited, studioMetadata: next.metadata });
    const cleared = { ...imported, upstreamBaseUrl: null };
    expect(mergeStudioSeeded(cleared, next).upstreamBaseUrl).toBeNull();
  });

  test("Studio dropping its base URL keeps the upstream", () => {
    expect(mergeStudioSeeded(imported, entryOf({ display_name: "Pay" })).upstreamBaseUrl).toBe("http://a");
  });

  test("a row linked by hand: Studio only fills empty fields", () => {
    const local: StudioSeeded = {
      displayName: null,
      upstreamBaseUrl: "http://mine",
      allowedMethods: ["PUT"],
      studioMetadata: null,
    };
    expect(mergeStudioSeeded(local, next)).toEqual({
      displayName: "Pay v2",
      upstreamBaseUrl: "http://mine",
      allowedMethods: ["PUT"],
      studioMetadata: next.metadata,
    });
  });
});

test("sameJson ignores key order (jsonb reorders keys)", () => {
  expect(sameJson({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
  expect(sameJson({ a: 1 }, { a: 2 })).toBe(false);
  expect(sameJson({ a: [] }, { a: {} })).toBe(false);
  expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
});
