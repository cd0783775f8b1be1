import { type Keyring, type NonceStore, SdgateError } from "@sdgate/shared";
import { createMiddleware } from "hono/factory";
import type { BackendEnv } from "./types.ts";

/**
 * Rejects any request that is not signed by the edge (401 `invalid_signature`), then makes the
 * verified raw body available as `c.var.rawBody` so routes parse exactly the bytes that were signed.
 */
export function verifySignature(keyring: Keyring, nonces: NonceStore) {
  return createMiddleware<BackendEnv>(async (c, next) => {
    const url = new URL(c.req.url);
    const body = new Uint8Array(await c.req.arrayBuffer());
    const verdict = await keyring.verify(
      { method: c.req.method, path: url.pathname + url.search, body },
      c.req.raw.headers,
      nonces,
    );
    if (!verdict.ok) {
      throw new SdgateError(
        "invalid_signature",
        `Request signature rejected: ${verdict.error.replaceAll("_", " ")}.`,
      );
    }
    c.set("rawBody", body);
    await next();
  });
}
