import { fromHex, randomHex, sha256Hex, toHex, utf8 } from "./encoding.ts";
import type { Result } from "./generation-request.ts";
import { CONTEXT_HEADERS } from "./internal-api.ts";

/**
 * HMAC-SHA256 signing of edge → backend requests. The signature covers the backend it is meant for
 * (its registry name, the audience), the method, the path with its query, a timestamp, a one-time
 * nonce, the SHA-256 of the body and the context headers (tenant, deadline, job id, preview interval,
 * request id), so a captured request can be neither altered, nor replayed, nor sent to another
 * backend, and nobody between edge and backend can add, change or strip a context header. WebCrypto
 * only, so the same code runs in Workers and in Node.
 */
export const SIGNATURE_HEADERS = {
  keyId: "x-sdgate-key-id",
  timestamp: "x-sdgate-timestamp",
  nonce: "x-sdgate-nonce",
  signature: "x-sdgate-signature",
  /**
   * The audience as the signer named it. The MAC is checked against the verifier's own name, never
   * this header; it is sent so that a name mismatch (a deployment error) is reported as one.
   */
  audience: "x-sdgate-audience",
} as const;

/** How far a request's timestamp may be from the verifier's clock, either way. */
export const SIGNATURE_WINDOW_SECONDS = 300;
const SIGNATURE_SCHEME = "v3";
/** The scheme before signatures named their backend; verified only when a rollout asks for it. */
const LEGACY_SCHEME = "v2";

/** A backend's name as the edge's registry and `SDGATE_BACKEND_NAME` write it. */
export const AUDIENCE_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The context headers every signature covers, sorted; an absent one is signed as empty. */
export const SIGNED_CONTEXT_HEADERS: readonly string[] = Object.values(CONTEXT_HEADERS).sort();
const LEGACY_CONTEXT_HEADERS: readonly string[] = [
  CONTEXT_HEADERS.deadline,
  CONTEXT_HEADERS.jobId,
  CONTEXT_HEADERS.previewEvery,
  CONTEXT_HEADERS.tenant,
];

export interface SigningKey {
  id: string;
  secret: string;
}

/** Remembers nonces until their timestamp leaves the window; answers whether a nonce is new. */
export interface NonceStore {
  /** `true` if the nonce was unseen (and is now remembered until `expiresAtMs`), `false` if replayed. */
  remember(nonce: string, expiresAtMs: number): boolean | Promise<boolean>;
}

/** An in-process {@link NonceStore}; enough for one backend process, since each process verifies its own traffic. */
export class MemoryNonceStore implements NonceStore {
  readonly #expiry = new Map<string, number>();
  #nextSweepMs = 0;

  remember(nonce: string, expiresAtMs: number, nowMs = Date.now()): boolean {
    if (nowMs >= this.#nextSweepMs) {
      for (const [seen, expires] of this.#expiry) if (expires <= nowMs) this.#expiry.delete(seen);
      this.#nextSweepMs = nowMs + 10_000;
    }
    const known = this.#expiry.get(nonce);
    if (known !== undefined && known > nowMs) return false;
    this.#expiry.set(nonce, expiresAtMs);
    return true;
  }

  get size(): number {
    return this.#expiry.size;
  }
}

export type SignatureFailure =
  | "missing_headers"
  | "unknown_key"
  | "malformed_signature"
  | "stale_timestamp"
  | "wrong_audience"
  | "bad_signature"
  | "replayed_nonce";

/** What the signature covers besides the audience and the context headers. */
export interface SignedMessage {
  method: string;
  /** Path and query, e.g. `/internal/v1/generate?x=1`. */
  path: string;
  body: Uint8Array<ArrayBuffer> | string;
}

export interface RequestToSign extends SignedMessage {
  /** The backend's name in the edge's registry (its `SDGATE_BACKEND_NAME`): only that backend accepts it. */
  audience: string;
  /** The context headers ({@link SIGNED_CONTEXT_HEADERS}) the request carries, by lowercase name. */
  headers?: Readonly<Record<string, string>>;
}

export interface VerifyOptions {
  /** The verifier's own name: a request signed for any other backend is refused. */
  audience: string;
  nowMs?: number;
  /**
   * Also accept v2 signatures, which name no backend: only while an edge that still signs v2 is
   * being replaced, since a v2 request can be replayed to any backend within the window.
   */
  acceptV2?: boolean;
}

/**
 * What a request's headers say about its signature, checked before its body is read: headers
 * present and well-formed, key known, timestamp in the window, meant for this backend. Only
 * {@link Keyring.verifyBody} says whether the signature is good.
 */
export interface SignatureClaim {
  readonly scheme: typeof SIGNATURE_SCHEME | typeof LEGACY_SCHEME;
  readonly key: SigningKey;
  readonly audience: string;
  readonly timestamp: string;
  readonly nonce: string;
  readonly mac: Uint8Array<ArrayBuffer>;
  readonly context: Readonly<Record<string, string>>;
}

interface Signable extends SignedMessage {
  audience: string;
  headers: Readonly<Record<string, string>>;
}

async function stringToSign(
  scheme: SignatureClaim["scheme"],
  request: Signable,
  timestamp: string,
  nonce: string,
): Promise<string> {
  const bodyBytes = typeof request.body === "string" ? utf8(request.body) : request.body;
  const bodyHash = await sha256Hex(bodyBytes);
  const method = request.method.toUpperCase();
  if (scheme === LEGACY_SCHEME) {
    const context = LEGACY_CONTEXT_HEADERS.map((name) => `${name}:${request.headers[name] ?? ""}`);
    return [scheme, method, request.path, timestamp, nonce, bodyHash, ...context].join("\n");
  }
  const context = SIGNED_CONTEXT_HEADERS.map((name) => `${name}:${request.headers[name] ?? ""}`);
  return [scheme, request.audience, method, request.path, timestamp, nonce, bodyHash, ...context].join("\n");
}

/** WebCrypto's key type, named without relying on either platform's global type declarations. */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

function importKey(secret: string): Promise<HmacKey> {
  return crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

type Verdict<T> = Result<T, SignatureFailure>;

/**
 * A set of signing keys: the first signs, any of them verifies, so a secret can be rotated by
 * adding the new key on backends first and then putting it first at the edge.
 *
 * @example
 * const keyring = new Keyring([{ id: "k1", secret: env.SDGATE_HMAC_SECRET }]);
 * const headers = await keyring.sign({ method: "POST", path: "/internal/v1/generate", body, audience: backend.name });
 * const verdict = await keyring.verify(request, headers, nonceStore, { audience: config.name });
 */
export class Keyring {
  readonly #keys: ReadonlyArray<SigningKey>;
  readonly #imported = new Map<string, Promise<HmacKey>>();

  constructor(keys: ReadonlyArray<SigningKey>) {
    if (keys.length === 0) throw new Error("A keyring needs at least one signing key.");
    this.#keys = keys;
  }

  #cryptoKey(key: SigningKey): Promise<HmacKey> {
    let imported = this.#imported.get(key.id);
    if (!imported) {
      imported = importKey(key.secret);
      this.#imported.set(key.id, imported);
    }
    return imported;
  }

  /** Headers to add to the request. `nowMs` and `nonce` are for tests. */
  async sign(
    request: RequestToSign,
    options: { nowMs?: number; nonce?: string } = {},
  ): Promise<Record<string, string>> {
    if (!AUDIENCE_PATTERN.test(request.audience)) {
      throw new RangeError(
        `Keyring.sign: audience must match ${AUDIENCE_PATTERN}, got '${request.audience}'.`,
      );
    }
    const key = this.#keys[0] as SigningKey;
    const timestamp = String(Math.floor((options.nowMs ?? Date.now()) / 1000));
    const nonce = options.nonce ?? randomHex(16);
    const signable = { ...request, headers: request.headers ?? {} };
    const message = await stringToSign(SIGNATURE_SCHEME, signable, timestamp, nonce);
    const mac = await crypto.subtle.sign("HMAC", await this.#cryptoKey(key), utf8(message));
    return {
      [SIGNATURE_HEADERS.keyId]: key.id,
      [SIGNATURE_HEADERS.timestamp]: timestamp,
      [SIGNATURE_HEADERS.nonce]: nonce,
      [SIGNATURE_HEADERS.audience]: request.audience,
      [SIGNATURE_HEADERS.signature]: `${SIGNATURE_SCHEME}=${toHex(mac)}`,
    };
  }

  /**
   * The checks a request's headers allow, with no I/O: a backend makes them before it reads a byte
   * of the body, so a caller without a plausible signature costs it nothing but the headers.
   */
  checkHeaders(
    headers: { get(name: string): string | null },
    options: VerifyOptions,
  ): Verdict<SignatureClaim> {
    const keyId = headers.get(SIGNATURE_HEADERS.keyId);
    const timestamp = headers.get(SIGNATURE_HEADERS.timestamp);
    const nonce = headers.get(SIGNATURE_HEADERS.nonce);
    const signature = headers.get(SIGNATURE_HEADERS.signature);
    if (!keyId || !timestamp || !nonce || !signature) return { ok: false, error: "missing_headers" };
    const key = this.#keys.find((k) => k.id === keyId);
    if (!key) return { ok: false, error: "unknown_key" };
    const separator = signature.indexOf("=");
    const scheme = signature.slice(0, separator);
    const known = scheme === SIGNATURE_SCHEME || (scheme === LEGACY_SCHEME && options.acceptV2 === true);
    const mac = known ? fromHex(signature.slice(separator + 1)) : null;
    if (mac?.length !== 32 || !/^\d{1,12}$/.test(timestamp) || !/^[0-9A-Za-z_-]{16,128}$/.test(nonce)) {
      return { ok: false, error: "malformed_signature" };
    }
    const nowMs = options.nowMs ?? Date.now();
    if (Math.abs(nowMs - Number(timestamp) * 1000) > SIGNATURE_WINDOW_SECONDS * 1000) {
      return { ok: false, error: "stale_timestamp" };
    }
    if (scheme === SIGNATURE_SCHEME) {
      const audience = headers.get(SIGNATURE_HEADERS.audience);
      if (audience === null) return { ok: false, error: "missing_headers" };
      if (audience !== options.audience) return { ok: false, error: "wrong_audience" };
    }
    const context: Record<string, string> = {};
    for (const name of SIGNED_CONTEXT_HEADERS) {
      const value = headers.get(name);
      if (value !== null) context[name] = value;
    }
    return {
      ok: true,
      value: {
        scheme: scheme as SignatureClaim["scheme"],
        key,
        audience: options.audience,
        timestamp,
        nonce,
        mac,
        context,
      },
    };
  }

  /**
   * Completes {@link checkHeaders} once the body is read. The MAC is checked by
   * `crypto.subtle.verify`, which compares in constant time, over the verifier's own name; the nonce
   * is only remembered once the signature is known to be good, so forged requests cannot fill the
   * nonce store.
   */
  async verifyBody(
    request: SignedMessage,
    claim: SignatureClaim,
    nonces: NonceStore,
  ): Promise<Verdict<{ keyId: string }>> {
    const signable = { ...request, audience: claim.audience, headers: claim.context };
    const message = await stringToSign(claim.scheme, signable, claim.timestamp, claim.nonce);
    const cryptoKey = await this.#cryptoKey(claim.key);
    if (!(await crypto.subtle.verify("HMAC", cryptoKey, claim.mac, utf8(message)))) {
      return { ok: false, error: "bad_signature" };
    }
    const expiresAtMs = Number(claim.timestamp) * 1000 + SIGNATURE_WINDOW_SECONDS * 1000;
    if (!(await nonces.remember(`${claim.key.id}:${claim.nonce}`, expiresAtMs)))
      return { ok: false, error: "replayed_nonce" };
    return { ok: true, value: { keyId: claim.key.id } };
  }

  /** {@link checkHeaders} then {@link verifyBody}, for a caller that already holds the body. */
  async verify(
    request: SignedMessage,
    headers: { get(name: string): string | null },
    nonces: NonceStore,
    options: VerifyOptions,
  ): Promise<Verdict<{ keyId: string }>> {
    const claim = this.checkHeaders(headers, options);
    if (!claim.ok) return claim;
    return this.verifyBody(request, claim.value, nonces);
  }
}

/**
 * Parses a keyring written as `id:secret[,id:secret…]` (the first signs), the form used by the
 * `SDGATE_HMAC_KEYS` setting on both sides. Secrets shorter than 32 characters are refused: HMAC-SHA256
 * keys should carry at least 128 bits of entropy.
 */
export function parseKeyringSpec(spec: string): Result<SigningKey[], string> {
  const keys: SigningKey[] = [];
  for (const part of spec.split(",")) {
    const colon = part.indexOf(":");
    const id = part.slice(0, colon).trim();
    const secret = part.slice(colon + 1).trim();
    if (colon < 1 || !/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
      return {
        ok: false,
        error: "each entry must be 'id:secret' with an id of letters, digits, '.', '_' or '-'",
      };
    }
    if (secret.length < 32)
      return { ok: false, error: `the secret of key '${id}' must be at least 32 characters` };
    if (keys.some((k) => k.id === id)) return { ok: false, error: `key id '${id}' appears twice` };
    keys.push({ id, secret });
  }
  return { ok: true, value: keys };
}
