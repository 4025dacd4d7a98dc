import { expect, test } from "bun:test";
import { displayUrl, resolveStudioConnection } from "./connection.ts";

const at = new Date("2030-01-01T00:00:00Z");
const env = { baseUrl: "http://env:8000", token: "env-token" };

test("persisted base URL wins, with its own token", () => {
  expect(resolveStudioConnection({ baseUrl: "http://p", token: null, updatedAt: at }, env)).toEqual({
    baseUrl: "http://p",
    token: null,
    source: "persisted",
    updatedAt: at,
  });
});

test("no persisted base URL: the environment's URL and token", () => {
  expect(resolveStudioConnection({ baseUrl: null, token: "dormant", updatedAt: at }, env)).toEqual({
    ...env,
    source: "environment",
    updatedAt: at,
  });
  expect(resolveStudioConnection(null, env)).toEqual({ ...env, source: "environment", updatedAt: null });
});

test("nothing anywhere: unset", () => {
  expect(resolveStudioConnection(null, { baseUrl: null, token: "t" })).toEqual({
    baseUrl: null,
    token: null,
    source: "unset",
    updatedAt: null,
  });
});

test("displayUrl hides user info", () => {
  expect(displayUrl("http://studio:8000")).toBe("http://studio:8000");
  expect(displayUrl("http://user:pw@studio:8000/api")).toBe("http://studio:8000/api");
  expect(displayUrl(null)).toBeNull();
});
