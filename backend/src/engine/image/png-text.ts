import { crc32, inflateSync } from "node:zlib";

/**
 * PNG text chunks (PNG spec §11.3.4): `tEXt` for Latin-1 text, `iTXt` (uncompressed UTF-8)
 * otherwise, as Pillow's `PngInfo.add_text` chooses, which is how A1111 writes `parameters`.
 */

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Insert text chunks right after IHDR, in the order given; the rest of the file is unchanged. */
export function addPngText(png: Uint8Array, entries: readonly (readonly [string, string])[]): Uint8Array {
  checkSignature(png);
  const ihdrEnd = SIGNATURE.length + 12 + readUint32(png, SIGNATURE.length);
  const chunks = entries.map(([keyword, text]) => textChunk(keyword, text));
  const out = new Uint8Array(png.length + chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  out.set(png.subarray(0, ihdrEnd));
  let offset = ihdrEnd;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  out.set(png.subarray(ihdrEnd), offset);
  return out;
}

/** Every `tEXt`, `zTXt` and `iTXt` entry of a PNG, keyword → text (the first of each keyword). */
export function readPngText(png: Uint8Array): Map<string, string> {
  checkSignature(png);
  const found = new Map<string, string>();
  let offset = SIGNATURE.length;
  while (offset + 12 <= png.length) {
    const length = readUint32(png, offset);
    const type = latin1.decode(png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    const entry = type === "tEXt" || type === "zTXt" || type === "iTXt" ? parseText(type, data) : undefined;
    if (entry !== undefined && !found.has(entry[0])) found.set(entry[0], entry[1]);
    if (type === "IEND") break;
    offset += 12 + length;
  }
  return found;
}

function textChunk(keyword: string, text: string): Uint8Array {
  if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(keyword))
    throw new RangeError(`invalid PNG keyword ${JSON.stringify(keyword)}`);
  // Pillow writes tEXt when the text encodes as Latin-1, iTXt otherwise.
  const isLatin1 = [...text].every((char) => (char.codePointAt(0) as number) <= 0xff);
  const key = Buffer.from(keyword, "latin1");
  const data = isLatin1
    ? Buffer.concat([key, Uint8Array.of(0), Buffer.from(text, "latin1")])
    : // keyword, NUL, compression flag 0, method 0, empty language tag + NUL, empty translated keyword + NUL
      Buffer.concat([key, Uint8Array.of(0, 0, 0, 0, 0), Buffer.from(text, "utf8")]);
  const type = Buffer.from(isLatin1 ? "tEXt" : "iTXt", "latin1");
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(type, 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  return chunk;
}

function parseText(type: string, data: Uint8Array): [string, string] | undefined {
  const nul = data.indexOf(0);
  if (nul < 1) return undefined;
  const keyword = latin1.decode(data.subarray(0, nul));
  if (type === "tEXt") return [keyword, latin1.decode(data.subarray(nul + 1))];
  if (type === "zTXt") return [keyword, latin1.decode(inflateSync(data.subarray(nul + 2)))];
  const compressed = data[nul + 1] === 1;
  const languageEnd = data.indexOf(0, nul + 3);
  const translatedEnd = languageEnd < 0 ? -1 : data.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) return undefined;
  const body = data.subarray(translatedEnd + 1);
  return [keyword, utf8.decode(compressed ? inflateSync(body) : body)];
}

function checkSignature(png: Uint8Array): void {
  if (png.length < 33 || SIGNATURE.some((byte, i) => png[i] !== byte)) throw new RangeError("not a PNG file");
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset + offset, 4).getUint32(0);
}
