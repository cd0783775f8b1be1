import {
  type Keyring,
  MAX_REQUEST_BODY_BYTES,
  type NonceStore,
  readAtMost,
  SdgateError,
} from "@sdgate/shared";
import { createMiddleware } from "hono/factory";
import type { BackendEnv } from "./types.ts";

export interface VerifySignatureOptions {
  keyring: Keyring;
  nonces: NonceStore;
  /** This backend's registry name: requests signed for another backend are refused. */
  audience: string;
  /** Also accept v2 signatures (no audience), while the edge is being upgraded. */
  acceptV2: boolean;
  /** Largest body read; past it, 413 (default {@link MAX_REQUEST_BODY_BYTES}). */
  maxBodyBytes?: number;
}

/**
 * Rejects any request that is not signed by the edge for this backend (401 `invalid_signature`),
 * then makes the verified raw body available as `c.var.rawBody` so routes parse exactly the bytes
 * that were signed. Everything the headers can tell is checked before a byte of the body is read, and
 * the body is counted as it arrives, so a caller without a signature, or with more bytes than any
 * request may have, costs the backend neither the read nor the hash of up to 21 MiB.
 */
export function verifySignature(options: VerifySignatureOptions) {
  const { keyring, nonces, audience, acceptV2 } = options;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES;
  return createMiddleware<BackendEnv>(async (c, next) => {
    const claim = keyring.checkHeaders(c.req.raw.headers, { audience, acceptV2 });
    if (!claim.ok) throw rejected(claim.error);
    const body = await readBodyUpTo(c.req.raw, maxBodyBytes);
    const url = new URL(c.req.url);
    const verdict = await keyring.verifyBody(
      { method: c.req.method, path: url.pathname + url.search, body },
      claim.value,
      nonces,
    );
    if (!verdict.ok) throw rejected(verdict.error);
    c.set("rawBody", body);
    await next();
  });
}

function rejected(reason: string): SdgateError {
  return new SdgateError("invalid_signature", `Request signature rejected: ${reason.replaceAll("_", " ")}.`);
}

function tooLarge(maxBytes: number): SdgateError {
  return new SdgateError("payload_too_large", `The body is larger than ${maxBytes} bytes.`);
}

/**
 * The request's body, refused with 413 as soon as it is known to pass `maxBytes`: at once from a
 * `Content-Length` above it, else when the bytes streamed in so far do (a chunked body has no length
 * to trust), and the rest is never read.
 */
export async function readBodyUpTo(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (request.body === null) return new Uint8Array(0);
  const body = await readAtMost(request.body, maxBytes);
  if (body === null) throw tooLarge(maxBytes);
  return body;
}
