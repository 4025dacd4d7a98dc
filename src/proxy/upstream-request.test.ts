import { describe, expect, test } from "bun:test";
import { clientResponse } from "./upstream-request.ts";

const HOP_BY_HOP = {
  connection: "keep-alive",
  "keep-alive": "timeout=5",
  "proxy-connection": "keep-alive",
  te: "trailers",
  trailer: "x-checksum",
  upgrade: "h2c",
};

describe("the client's response headers", () => {
  test("hop-by-hop headers of the upstream are not returned; everything else is", async () => {
    const upstream = new Headers({ ...HOP_BY_HOP, "content-type": "application/json", "content-length": "2", "x-litellm-response-cost": "0.01" });
    const response = clientResponse("{}", 200, upstream, false);
    for (const name of Object.keys(HOP_BY_HOP)) expect(response.headers.has(name)).toBe(false);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("content-length")).toBe("2");
    expect(response.headers.get("x-litellm-response-cost")).toBe("0.01");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("{}");
    // The upstream's own headers are left as they were.
    expect(upstream.get("connection")).toBe("keep-alive");
  });

  test("a changed body drops the upstream's length and encoding too", () => {
    const upstream = new Headers({ ...HOP_BY_HOP, "content-type": "text/event-stream", "content-length": "999", "content-encoding": "identity" });
    const response = clientResponse("data: x\n\n", 200, upstream, true);
    for (const name of [...Object.keys(HOP_BY_HOP), "content-encoding"]) expect(response.headers.has(name)).toBe(false);
    expect(response.headers.get("content-length")).not.toBe("999");
    expect(response.headers.get("content-type")).toBe("text/event-stream");
  });

  test("the response's headers stay writable for the gateway's own", () => {
    const response = clientResponse(null, 204, new Headers({ date: "x" }), false);
    response.headers.set("x-request-id", "r1");
    expect(response.headers.get("x-request-id")).toBe("r1");
    expect(response.status).toBe(204);
  });
});
