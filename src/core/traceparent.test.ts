import { expect, test } from "bun:test";
import { nextTraceparent } from "./traceparent.ts";

const random = (size: number) => new Uint8Array(size).fill(0xab);

test("continues a valid client trace with the gateway's own span", () => {
  const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  expect(nextTraceparent(incoming, random)).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${"ab".repeat(8)}-01`);
});

test("starts a new sampled trace when the header is missing or invalid", () => {
  for (const bad of [undefined, "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]) {
    expect(nextTraceparent(bad, random)).toBe(`00-${"ab".repeat(16)}-${"ab".repeat(8)}-01`);
  }
});
