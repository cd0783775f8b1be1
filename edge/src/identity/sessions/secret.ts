import { sha256Hex } from "@sdgate/shared";
import { base64url } from "jose";

/** What a session secret looks like: `sess_` and 32 random bytes as unpadded base64url. */
export const SESSION_SECRET_PATTERN = /^sess_[A-Za-z0-9_-]{43}$/;

/** A new session secret (256 bits from the CSPRNG): handed to the browser once, never stored. */
export function newSessionSecret(): string {
  return `sess_${base64url.encode(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** What D1 keeps of a secret: SHA-256 (hex), the `sessions.id_hash` it is looked up by. */
export function sessionHash(secret: string): Promise<string> {
  return sha256Hex(secret);
}
