import { Hono } from "hono";
import type { AppEnv } from "../../http/app-env.ts";
import { GatewayError } from "../../http/errors.ts";
import type { OperatorTokens } from "../../store/repos/operator-tokens.ts";

export function createOperatorTokenRoutes(tokens: OperatorTokens): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Revokes the presented token and returns the new one; its raw value is shown only here.
  app.post("/rotate", async (c) => {
    const rotated = await tokens.rotate(c.get("operatorTokenId")!);
    // A concurrent rotation with the same token won: this token is no longer active.
    if (!rotated) throw new GatewayError("disabled_operator_token");
    c.header("cache-control", "no-store");
    return c.json({ token: rotated.token, raw_token: rotated.rawToken }, 201);
  });
  return app;
}
