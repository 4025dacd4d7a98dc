import { expect, test } from "bun:test";
import { isHttpBaseUrl, joinUrlPath } from "./service-urls.ts";

test("isHttpBaseUrl: http(s) with a host, no user info, query or fragment", () => {
  for (const ok of ["http://a", "https://payments.internal:8443", "http://10.0.0.1:8000/api", "http://a/"])
    expect([ok, isHttpBaseUrl(ok)]).toEqual([ok, true]);
  for (const bad of [
    "",
    "a",
    "ftp://a",
    "http://",
    "HTTP://a",
    "http://u:p@a",
    "http://u@a",
    "http://a?x=1",
    "http://a#f",
    " http://a",
    `http://a/${"x".repeat(2048)}`,
  ]) {
    expect([bad, isHttpBaseUrl(bad)]).toEqual([bad, false]);
  }
});

test("joinUrlPath ignores trailing slashes of the base", () => {
  expect(joinUrlPath("http://a:8000", "/studio/gateway/services")).toBe("http://a:8000/studio/gateway/services");
  expect(joinUrlPath("http://a:8000/api//", "/studio")).toBe("http://a:8000/api/studio");
});
