import { expect, test } from "bun:test";
import { parseBenchOptions } from "./options.ts";

test("unloaded runs last 2 s by default; --latency-duration sets them, 0 skips them, a bad value is refused", () => {
  expect(parseBenchOptions([])!.latencyS).toBe(2);
  expect(parseBenchOptions(["--latency-duration", "0.5"])!.latencyS).toBe(0.5);
  expect(parseBenchOptions(["--latency-duration", "0"])!.latencyS).toBe(0);
  expect(() => parseBenchOptions(["--latency-duration=-1"])).toThrow("--latency-duration must be a positive number");
});
