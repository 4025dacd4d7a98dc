import { expect, test } from "bun:test";
import { listen } from "./serve.ts";

test("listeners run in production mode whatever NODE_ENV says (no development error pages)", async () => {
  const server = listen(() => new Response("ok"), { hostname: "127.0.0.1", port: 0 }, { idleTimeoutSeconds: 10 });
  try {
    expect(server.development).toBe(false);
    const response = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(await response.text()).toBe("ok");
  } finally {
    await server.stop(true);
  }
});
