/** Standard base64, padded or not; what `whsec_` secrets and `v1,` signatures are written in. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Bytes from standard base64 (`atob`, on every platform this SDK runs on); `null` when it is not base64.
 *
 * @example
 * fromBase64("AQID") // Uint8Array [1, 2, 3]
 */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (!BASE64.test(text)) return null;
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}
