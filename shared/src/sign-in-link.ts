import { randomHex, toHex, utf8 } from "./encoding.ts";

/** How long `npm start`'s sign-in link works: long enough to read the terminal and click. */
export const LOCAL_SIGN_IN_TTL_MS = 15 * 60_000;

const VERSION = "v1";

async function mac(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return toHex(await crypto.subtle.sign("HMAC", key, utf8(`sdgate-local-sign-in.${message}`)));
}

/**
 * A one-time sign-in token for a local admin (`npm start` prints it in a link): when it stops
 * working, a nonce the edge records on first use, and an HMAC-SHA256 under `SDGATE_SIGN_IN_SECRET`.
 *
 * @example
 * const link = `http://127.0.0.1:8787/auth/local?token=${await mintLocalSignInToken(secret)}`;
 */
export async function mintLocalSignInToken(secret: string, nowMs = Date.now()): Promise<string> {
  const body = `${VERSION}.${nowMs + LOCAL_SIGN_IN_TTL_MS}.${randomHex(16)}`;
  return `${body}.${await mac(secret, body)}`;
}

/**
 * The token's nonce when it is ours, unexpired and untampered (its one use is the caller's to
 * record); otherwise why not.
 *
 * @example
 * const checked = await checkLocalSignInToken(secret, token); // { ok: true, nonce } or { ok: false, reason }
 */
export async function checkLocalSignInToken(
  secret: string,
  token: string,
  nowMs = Date.now(),
): Promise<
  { ok: true; nonce: string; expiresAtMs: number } | { ok: false; reason: "malformed" | "forged" | "expired" }
> {
  const match = /^(v1)\.(\d{13})\.([0-9a-f]{32})\.([0-9a-f]{64})$/.exec(token);
  if (match === null) return { ok: false, reason: "malformed" };
  const [, version, expires, nonce, signature] = match as unknown as [string, string, string, string, string];
  const expected = await mac(secret, `${version}.${expires}.${nonce}`);
  // Both are hex digests of one length: compare every character whatever differs first.
  let difference = 0;
  for (let i = 0; i < expected.length; i++) difference |= expected.charCodeAt(i) ^ signature.charCodeAt(i);
  if (difference !== 0) return { ok: false, reason: "forged" };
  const expiresAtMs = Number(expires);
  if (nowMs >= expiresAtMs) return { ok: false, reason: "expired" };
  return { ok: true, nonce, expiresAtMs };
}
