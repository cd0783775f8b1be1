/**
 * PNG text chunks (PNG spec §11.3.4) in any JavaScript runtime (browsers, Workers, Node): `tEXt`
 * (Latin-1), `zTXt` (deflated Latin-1) and `iTXt` (UTF-8, optionally deflated), keyword → text, the
 * first of each keyword. Deflated text is inflated with the platform's `DecompressionStream`, and a
 * chunk that will not inflate, or inflates past {@link MAX_TEXT_BYTES}, is left out.
 */

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Recipes are kilobytes; a ComfyUI workflow can be a few hundred. Past this, a chunk is not a recipe. */
export const MAX_TEXT_BYTES = 4 * 1024 * 1024;

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((byte, i) => bytes[i] === byte);
}

function uint32(bytes: Uint8Array, offset: number): number {
  return (
    (((bytes[offset] ?? 0) << 24) |
      ((bytes[offset + 1] ?? 0) << 16) |
      ((bytes[offset + 2] ?? 0) << 8) |
      (bytes[offset + 3] ?? 0)) >>>
    0
  );
}

async function inflate(data: Uint8Array): Promise<Uint8Array | null> {
  try {
    const stream = new Blob([data as Uint8Array<ArrayBuffer>])
      .stream()
      .pipeThrough(new DecompressionStream("deflate"));
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > MAX_TEXT_BYTES) return null;
      chunks.push(chunk);
    }
    const out = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  } catch {
    return null;
  }
}

async function textOf(type: string, data: Uint8Array): Promise<[string, string] | null> {
  const nul = data.indexOf(0);
  if (nul < 1) return null;
  const keyword = latin1.decode(data.subarray(0, nul));
  if (type === "tEXt") return [keyword, latin1.decode(data.subarray(nul + 1))];
  if (type === "zTXt") {
    const text = await inflate(data.subarray(nul + 2));
    return text === null ? null : [keyword, latin1.decode(text)];
  }
  // iTXt: keyword, NUL, compression flag, method, language tag, NUL, translated keyword, NUL, text.
  const compressed = data[nul + 1] === 1;
  const language = data.indexOf(0, nul + 3);
  const translated = language === -1 ? -1 : data.indexOf(0, language + 1);
  if (translated === -1) return null;
  const body = data.subarray(translated + 1);
  const text = compressed ? await inflate(body) : body;
  return text === null ? null : [keyword, utf8.decode(text)];
}

/**
 * Every text entry of a PNG, keyword → text; an empty map for a file that is not a PNG.
 *
 * @example
 * const text = await readPngText(bytes);
 * text.get("parameters"); // A1111's infotext, if the file has it
 */
export async function readPngText(bytes: Uint8Array): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (!isPng(bytes)) return found;
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const length = uint32(bytes, offset);
    const type = latin1.decode(bytes.subarray(offset + 4, offset + 8));
    if (type === "IEND" || offset + 12 + length > bytes.length) break;
    if ((type === "tEXt" || type === "zTXt" || type === "iTXt") && length <= MAX_TEXT_BYTES) {
      const entry = await textOf(type, bytes.subarray(offset + 8, offset + 8 + length));
      if (entry !== null && !found.has(entry[0])) found.set(entry[0], entry[1]);
    }
    offset += 12 + length;
  }
  return found;
}
