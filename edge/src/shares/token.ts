import { fromHex, randomHex, sha256Hex, toHex, utf8 } from "@sdgate/shared";

/**
 * A share link's token: `shr1.<nonce>.<mac>`, a random nonce and its HMAC-SHA256 (RFC 2104) under the
 * edge's URL signing key (`SDGATE_URL_SIGNING_KEY`, which signs image links too; the `sdgate-share`
 * prefix keeps the two kinds of signature apart). A token the edge did not sign is refused before
 * anything is read; one it did is looked up by its SHA-256, the only form it is kept in.
 */
const PREFIX = "shr1";
const TOKEN_PATTERN = /^shr1\.([0-9a-f]{32})\.([0-9a-f]{64})$/;

function macKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

const signed = (nonce: string) => utf8(`sdgate-share\n${nonce}`);

/**
 * A new token and the hash it is kept as.
 *
 * @example
 * const { token, hashHex } = await mintShareToken(config.urlSigningKey);
 */
export async function mintShareToken(secret: string): Promise<{ token: string; hashHex: string }> {
  const nonce = randomHex(16);
  const mac = await crypto.subtle.sign("HMAC", await macKey(secret), signed(nonce));
  const token = `${PREFIX}.${nonce}.${toHex(mac)}`;
  return { token, hashHex: await sha256Hex(token) };
}

/**
 * The hash to look a token up by, when the edge signed it; `null` for anything else (checked in
 * constant time by `crypto.subtle.verify`).
 *
 * @example
 * const hashHex = await checkShareToken(secret, c.req.param("token"));
 */
export async function checkShareToken(secret: string, token: string): Promise<string | null> {
  const match = TOKEN_PATTERN.exec(token);
  if (match === null) return null;
  const [, nonce, macHex] = match as unknown as [string, string, string];
  const mac = fromHex(macHex);
  if (mac === null) return null;
  const valid = await crypto.subtle.verify("HMAC", await macKey(secret), mac, signed(nonce));
  return valid ? sha256Hex(token) : null;
}
