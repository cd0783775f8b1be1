import { canonicalJson, randomHex, SdgateError, sha256Hex } from "@sdgate/shared";

/** draft-ietf-httpapi-idempotency-key-header: the header, a Structured Field String. */
export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
export const MAX_IDEMPOTENCY_KEY_CHARS = 255;

/**
 * The key of an `Idempotency-Key` header, or `null` without one. The draft makes the value an sf-string
 * (`"…"`, RFC 8941 §3.3.3); a bare token is accepted too, since many clients send one. Printable ASCII
 * only, at most {@link MAX_IDEMPOTENCY_KEY_CHARS} characters; anything else is a 400 naming the header.
 */
export function idempotencyKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  const trimmed = header.trim();
  const quoted = /^"((?:[^"\\]|\\["\\])*)"$/.exec(trimmed);
  const key = quoted ? (quoted[1] as string).replace(/\\(["\\])/g, "$1") : trimmed;
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_CHARS || !/^[\x20-\x7e]+$/.test(key)) {
    throw new SdgateError(
      "invalid_request",
      `${IDEMPOTENCY_KEY_HEADER} must be 1–${MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII characters, e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324".`,
      { param: IDEMPOTENCY_KEY_HEADER },
    );
  }
  return key;
}

/**
 * A job's id: random, or with an idempotency key derived from the API key's id and it, so the same
 * key from the same API key always reaches the same `GenerationJob` object and no other API key's.
 *
 * @example
 * const id = await jobIdFor(apiKey.id, "order-1234"); // "job_…", the same every time
 */
export async function jobIdFor(keyId: string, key: string | null): Promise<string> {
  if (key === null) return `job_${randomHex(16)}`;
  return `job_${(await sha256Hex(`sdgate-job:${keyId}\n${key}`)).slice(0, 32)}`;
}

/** The request's fingerprint for idempotency: its body as parsed, canonically, so key order and spacing do not matter. */
export function requestFingerprint(body: unknown): Promise<string> {
  return sha256Hex(canonicalJson(body));
}

export function reusedKey(): SdgateError {
  return new SdgateError(
    "idempotency_key_reused",
    `This ${IDEMPOTENCY_KEY_HEADER} was already used with a different request body; use a new key for a new request.`,
    { param: IDEMPOTENCY_KEY_HEADER },
  );
}
