import type { MiddlewareHandler } from "hono";
import { parseBearer } from "../core/credentials.ts";
import type { AppEnv } from "../http/app-env.ts";
import { GatewayError } from "../http/errors.ts";
import type { OperatorTokens } from "../store/repos/operator-tokens.ts";

/**
 * `/admin/*` guard (contract 2): missing ⇒ malformed ⇒ unknown ⇒ rotated away, each its own 401.
 */
export function operatorAuth(tokens: OperatorTokens): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const bearer = parseBearer(c.req.header("authorization"), "op_live_");
    if (bearer.kind === "missing") throw new GatewayError("missing_authorization");
    if (bearer.kind === "malformed") throw new GatewayError("malformed_authorization");
    const verdict = await tokens.authenticate(bearer.credential);
    if (!verdict.ok) throw new GatewayError(verdict.code);
    c.set("operatorTokenId", verdict.tokenId);
    await next();
  };
}
