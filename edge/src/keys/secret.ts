import { randomHex } from "@sdgate/shared";

/** Characters of the secret shown after `sk_` in listings, so people can tell keys apart. */
export const VISIBLE_PREFIX_CHARS = 8;

/** A new API key secret: `sk_` and 48 hex digits (192 bits from the CSPRNG). Shown once, never stored. */
export function newSecret(): string {
  return `sk_${randomHex(24)}`;
}

/** The visible prefix of a secret, e.g. `sk_1a2b3c4d`. */
export function visiblePrefix(secret: string): string {
  return secret.slice(0, "sk_".length + VISIBLE_PREFIX_CHARS);
}

/** A new key id, e.g. `key_0f1e2d3c4b5a6978`: public, names the key in the admin API and the audit log. */
export function newKeyId(): string {
  return `key_${randomHex(8)}`;
}
