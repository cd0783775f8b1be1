import { randomHex } from "@sdgate/shared";
import type { MiddlewareHandler } from "hono";

export interface RequestIdOptions {
  /** Makes a new id; defaults to `req_` and 24 random hex digits. */
  generate?: () => string;
  /** The response header carrying the id; defaults to `X-Request-Id`. */
  headerName?: string;
}

/**
 * Gives every request an id, as `c.var.requestId` and in the response's `X-Request-Id` header, so a
 * client can quote it and we can find the request's log lines. The id is always made here: a
 * client-supplied one would let callers write arbitrary text into our logs.
 *
 * @example
 * const app = new Hono<{ Variables: { requestId: string } }>();
 * app.use(requestId());
 * app.get("/", (c) => c.text(c.var.requestId));
 */
export function requestId(
  options: RequestIdOptions = {},
): MiddlewareHandler<{ Variables: { requestId: string } }> {
  const generate = options.generate ?? (() => `req_${randomHex(12)}`);
  const headerName = options.headerName ?? "X-Request-Id";
  if (headerName.trim() === "") throw new TypeError("requestId: headerName must not be empty.");
  return async function requestId(c, next) {
    const id = generate();
    c.set("requestId", id);
    c.header(headerName, id);
    await next();
    // Responses built outside `c` (or replaced after an error) still carry the id.
    if (!c.res.headers.has(headerName)) {
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set(headerName, id);
    }
  };
}
