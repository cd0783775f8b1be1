import { utf8, WEBHOOK_HEADERS, WEBHOOK_SECRET_PREFIX, WEBHOOK_TOLERANCE_S } from "@sdgate/shared";
import { fromBase64, toBase64 } from "../cache/record.ts";

/**
 * Webhook signatures as the Standard Webhooks specification (standardwebhooks.com) defines them, so
 * its libraries verify ours: `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`
 * (`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`), with a secret written `whsec_<base64>`.
 */
// The headers, the secret's form and the tolerance are the contract's (shared/src/webhooks.ts).
export { WEBHOOK_HEADERS, WEBHOOK_TOLERANCE_S };
export const SECRET_PREFIX = WEBHOOK_SECRET_PREFIX;

function hmacKey(secret: string): Promise<CryptoKey> {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error("A webhook secret starts with 'whsec_'.");
  return crypto.subtle.importKey(
    "raw",
    fromBase64(secret.slice(SECRET_PREFIX.length)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

/**
 * The three headers of one delivery of `body`.
 *
 * @example
 * const headers = await signWebhook(secret, { id: "msg_1", timestampS: 1_780_000_000, body });
 */
export async function signWebhook(
  secret: string,
  message: { id: string; timestampS: number; body: string },
): Promise<Record<string, string>> {
  const signed = `${message.id}.${message.timestampS}.${message.body}`;
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), utf8(signed));
  return {
    [WEBHOOK_HEADERS.id]: message.id,
    [WEBHOOK_HEADERS.timestamp]: String(message.timestampS),
    [WEBHOOK_HEADERS.signature]: `v1,${toBase64(new Uint8Array(mac))}`,
  };
}

/**
 * What a receiver does: checks the timestamp window and any `v1` signature in the header (several
 * may be listed during a secret rotation). For tests and for receivers written in TypeScript.
 */
export async function verifyWebhook(
  secret: string,
  headers: { get(name: string): string | null },
  body: string,
  nowS = Math.floor(Date.now() / 1000),
): Promise<boolean> {
  const id = headers.get(WEBHOOK_HEADERS.id);
  const timestamp = headers.get(WEBHOOK_HEADERS.timestamp);
  const signatures = headers.get(WEBHOOK_HEADERS.signature);
  if (!id || !timestamp || !signatures || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowS - Number(timestamp)) > WEBHOOK_TOLERANCE_S) return false;
  const key = await hmacKey(secret);
  const signed = utf8(`${id}.${timestamp}.${body}`);
  for (const entry of signatures.split(" ")) {
    const [version, b64] = entry.split(",", 2);
    if (version !== "v1" || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    // crypto.subtle.verify compares in constant time.
    if (await crypto.subtle.verify("HMAC", key, fromBase64(b64), signed)) return true;
  }
  return false;
}
