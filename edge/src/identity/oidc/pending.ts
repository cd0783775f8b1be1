import { utf8 } from "@sdgate/shared";
import { base64url } from "jose";

/**
 * What a sign-in must remember between sending the browser to the provider and its return: the
 * PKCE verifier, `state` and `nonce` (OpenID Connect Core 1.0 section 3.1.2.1, RFC 7636), where
 * the callback is, and where to send the person afterwards.
 */
export interface PendingLogin {
  issuer: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  /** A same-origin path (see {@link safeReturnTo}). */
  returnTo: string;
  createdAtMs: number;
}

/** How long a sign-in may take, from leaving for the provider to coming back. */
export const PENDING_LOGIN_TTL_MS = 10 * 60_000;
export const MIN_PENDING_SECRET_CHARS = 32;
export const MAX_RETURN_TO_CHARS = 2_048;

export type UnsealFailure = "pending_invalid" | "pending_expired";
export type Unsealed = { ok: true; pending: PendingLogin } | { ok: false; reason: UnsealFailure };

const VERSION = "v1";
// Bound into the ciphertext (AES-GCM additional data) so a value sealed for another purpose with
// the same secret never opens here.
const PURPOSE = utf8("sdgate oidc pending login v1");
const IV_BYTES = 12;
// Isolates on different machines may seal and open the same sign-in.
const CLOCK_SKEW_MS = 60_000;
const ORIGIN_PROBE = "https://return-to.invalid";

/**
 * `value` as a path on this origin (`/studio/runs?id=1`), or null when it could lead elsewhere:
 * absolute URLs, protocol-relative `//host`, backslashes (browsers read `/\host` as `//host`),
 * control characters, or more than {@link MAX_RETURN_TO_CHARS} characters.
 *
 * @example
 * safeReturnTo("/studio/"); // "/studio/"
 * safeReturnTo("//evil.example/"); // null
 */
export function safeReturnTo(value: string): string | null {
  if (value.length > MAX_RETURN_TO_CHARS || !value.startsWith("/") || value.startsWith("//")) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return null;
  const url = new URL(value, ORIGIN_PROBE);
  if (url.origin !== ORIGIN_PROBE) return null;
  return `${url.pathname}${url.search}${url.hash}`;
}

const keys = new Map<string, Promise<CryptoKey>>();

// The secret is text an operator chose; HKDF turns it into an AES key used for nothing else (RFC 5869).
function keyOf(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    key = crypto.subtle
      .importKey("raw", utf8(secret), "HKDF", false, ["deriveKey"])
      .then((material) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: PURPOSE },
          material,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
    keys.set(secret, key);
  }
  return key;
}

function checkSecret(secret: string): void {
  if (secret.length < MIN_PENDING_SECRET_CHARS) {
    throw new RangeError(`the pending-login secret must be at least ${MIN_PENDING_SECRET_CHARS} characters`);
  }
}

/**
 * Encrypts and authenticates a pending sign-in (AES-256-GCM under a key derived from `secret`) into
 * one URL- and cookie-safe string: the browser can carry it but neither read nor alter it.
 *
 * @example
 * const sealed = await sealPending(pending, env.SDGATE_SESSION_SECRET);
 * c.header("Set-Cookie", `sdgate_oidc=${sealed}; Path=/auth/oidc; Max-Age=600; HttpOnly; Secure; SameSite=Lax`);
 */
export async function sealPending(pending: PendingLogin, secret: string): Promise<string> {
  checkSecret(secret);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: PURPOSE },
    await keyOf(secret),
    utf8(JSON.stringify(pending)),
  );
  const bytes = new Uint8Array(IV_BYTES + sealed.byteLength);
  bytes.set(iv);
  bytes.set(new Uint8Array(sealed), IV_BYTES);
  return `${VERSION}.${base64url.encode(bytes)}`;
}

function isPending(value: unknown): value is PendingLogin {
  if (typeof value !== "object" || value === null) return false;
  const texts = ["issuer", "state", "nonce", "codeVerifier", "redirectUri", "returnTo"];
  return (
    texts.every((name) => typeof Reflect.get(value, name) === "string") &&
    Number.isFinite(Reflect.get(value, "createdAtMs"))
  );
}

/**
 * Opens what {@link sealPending} made: `pending_invalid` when it was altered, made up, or sealed
 * under another secret; `pending_expired` once {@link PENDING_LOGIN_TTL_MS} has passed.
 *
 * @example
 * const opened = await unsealPending(cookie, env.SDGATE_SESSION_SECRET);
 * if (!opened.ok) throw new SdgateError("invalid_request", "The sign-in expired; start again.");
 */
export async function unsealPending(sealed: string, secret: string, nowMs = Date.now()): Promise<Unsealed> {
  checkSecret(secret);
  const [version, body = "", extra] = sealed.split(".");
  if (version !== VERSION || extra !== undefined) return { ok: false, reason: "pending_invalid" };
  let pending: unknown;
  try {
    const bytes = base64url.decode(body);
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.slice(0, IV_BYTES), additionalData: PURPOSE },
      await keyOf(secret),
      bytes.slice(IV_BYTES),
    );
    pending = JSON.parse(new TextDecoder().decode(plain));
  } catch {
    return { ok: false, reason: "pending_invalid" };
  }
  if (!isPending(pending) || safeReturnTo(pending.returnTo) === null)
    return { ok: false, reason: "pending_invalid" };
  const ageMs = nowMs - pending.createdAtMs;
  if (ageMs < -CLOCK_SKEW_MS || ageMs > PENDING_LOGIN_TTL_MS) return { ok: false, reason: "pending_expired" };
  return { ok: true, pending };
}
