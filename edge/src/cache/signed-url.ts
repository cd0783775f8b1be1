import { OUTPUT_FORMATS, type OutputFormat, utf8 } from "@sdgate/shared";

/**
 * `response_format: "url"`: each image gets a link to the edge, `GET /v1/images/{id}?expires=…&sig=…`,
 * that works without an API key until it expires (like an S3 presigned URL). The id names the
 * tenant's namespace, the cache key and the image, so a link can only ever reach that one object;
 * the signature is HMAC-SHA256 (RFC 2104) over the method, path and expiry with the secret
 * `SDGATE_URL_SIGNING_KEY`, checked with `crypto.subtle.verify` (constant time).
 */
export const IMAGE_URL_TTL_S = 3_600;
/** The shortest signing secret accepted. */
export const MIN_URL_SIGNING_KEY_CHARS = 32;

/**
 * The cache-key part of an image id: a replay-cache key (64 hex), or `job-job_<32 hex>` for the images
 * of a `no-store` job, which are kept under the job rather than in the cache (jobs/run-generation.ts).
 */
export const IMAGE_KEY_PATTERN = "[0-9a-f]{64}|job-job_[0-9a-f]{32}";
/** A thumbnail's id ends `-thumb.webp`: its own signature, so an image's link never opens it, nor the reverse. */
const ID_PATTERN = new RegExp(
  `^([0-9a-f]{32})-(${IMAGE_KEY_PATTERN})-(\\d{1,2})(-thumb)?\\.(${OUTPUT_FORMATS.join("|")})$`,
);

export interface ImageId {
  tenantTag: string;
  cacheKey: string;
  index: number;
  format: OutputFormat;
  /** The image's thumbnail (always WebP) rather than the image. */
  thumbnail?: true;
}

export function formatImageId(id: ImageId): string {
  return `${id.tenantTag}-${id.cacheKey}-${id.index}${id.thumbnail ? "-thumb" : ""}.${id.format}`;
}

/**
 * A run's input image (runs/inputs.ts), linked as images are: `{ownerTag}-input-{sha256 hex}`. It
 * has no index or format, so no image id is ever one, and one's signature never opens the other.
 */
export interface InputId {
  tenantTag: string;
  /** `sha256:<hex>` of its bytes. */
  inputDigest: string;
}
export const INPUT_ID_PATTERN = "[0-9a-f]{32}-input-[0-9a-f]{64}";
const INPUT_ID = new RegExp(`^(${INPUT_ID_PATTERN.replace("-input-", ")-input-(")})$`);

export function formatInputId(id: InputId): string {
  return `${id.tenantTag}-input-${id.inputDigest.replace(/^sha256:/, "")}`;
}

/** The parts of an image id, or `null` when it is not one. */
export function parseImageId(text: string): ImageId | null {
  const match = ID_PATTERN.exec(text);
  if (!match) return null;
  const [, tenantTag, cacheKey, index, thumb, format] = match as unknown as [
    string,
    string,
    string,
    string,
    string | undefined,
    OutputFormat,
  ];
  if (thumb !== undefined && format !== "webp") return null;
  return {
    tenantTag,
    cacheKey,
    index: Number(index),
    format,
    ...(thumb === undefined ? {} : { thumbnail: true }),
  };
}

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

function signedText(id: string, expiresS: number): Uint8Array<ArrayBuffer> {
  return utf8(`GET\n/v1/images/${id}\n${expiresS}`);
}

function toBase64Url(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return null;
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** The parts of an image's or an input's id, or `null` when it is neither. */
export function parseLinkedId(text: string): ImageId | InputId | null {
  const input = INPUT_ID.exec(text);
  if (input) return { tenantTag: input[1] as string, inputDigest: `sha256:${input[2]}` };
  return parseImageId(text);
}

/**
 * The path and query of a signed link to an image, or to a run's input image.
 *
 * @example
 * const url = new URL(await signedImagePath(secret, id, nowS + IMAGE_URL_TTL_S), origin);
 */
export async function signedImagePath(
  secret: string,
  id: ImageId | InputId,
  expiresS: number,
): Promise<string> {
  const text = "inputDigest" in id ? formatInputId(id) : formatImageId(id);
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(secret), signedText(text, expiresS));
  return `/v1/images/${text}?expires=${expiresS}&sig=${toBase64Url(signature)}`;
}

export type LinkCheck =
  | { ok: true; id: ImageId | InputId; expiresS: number }
  | { ok: false; reason: "malformed" | "forged" | "expired" };

/** Checks a link: the signature first (a forged link learns nothing), then the expiry. */
export async function checkImageLink(
  secret: string,
  idText: string,
  expires: string | undefined,
  sig: string | undefined,
  nowS: number,
): Promise<LinkCheck> {
  const id = parseLinkedId(idText);
  const signature = sig === undefined ? null : fromBase64Url(sig);
  if (id === null || expires === undefined || !/^\d{1,12}$/.test(expires) || signature === null) {
    return { ok: false, reason: "malformed" };
  }
  const expiresS = Number(expires);
  const valid = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(secret),
    signature,
    signedText(idText, expiresS),
  );
  if (!valid) return { ok: false, reason: "forged" };
  if (expiresS <= nowS) return { ok: false, reason: "expired" };
  return { ok: true, id, expiresS };
}
