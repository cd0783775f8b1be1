/**
 * Reads EXIF `UserComment` (tag 0x9286 in the Exif IFD), where A1111 keeps `parameters` in JPEG,
 * WebP and AVIF files (`piexif.helper.UserComment`: an 8-byte charset prefix, then the text; A1111
 * writes `UNICODE\0` + UTF-16, libvips writes `ASCII\0\0\0`). TIFF 6.0 §2 layout.
 */

const EXIF_IFD_POINTER = 0x8769;
const USER_COMMENT = 0x9286;

/** The comment in an EXIF block (with or without its `Exif\0\0` header), or undefined. */
export function readExifUserComment(exif: Uint8Array): string | undefined {
  const start = exif[0] === 0x45 && exif[1] === 0x78 ? 6 : 0;
  const tiff = new DataView(exif.buffer, exif.byteOffset + start, exif.length - start);
  if (tiff.byteLength < 8) return undefined;
  const little = tiff.getUint16(0) === 0x4949;
  const u16 = (at: number) => tiff.getUint16(at, little);
  const u32 = (at: number) => tiff.getUint32(at, little);
  const findEntry = (ifd: number, tag: number): number | undefined => {
    if (ifd + 2 > tiff.byteLength) return undefined;
    const count = u16(ifd);
    for (let i = 0; i < count; i++) {
      const entry = ifd + 2 + i * 12;
      if (entry + 12 > tiff.byteLength) return undefined;
      if (u16(entry) === tag) return entry;
    }
    return undefined;
  };
  try {
    const pointer = findEntry(u32(4), EXIF_IFD_POINTER);
    if (pointer === undefined) return undefined;
    const entry = findEntry(u32(pointer + 8), USER_COMMENT);
    if (entry === undefined) return undefined;
    const length = u32(entry + 4);
    const offset = length <= 4 ? entry + 8 : u32(entry + 8);
    const bytes = new Uint8Array(
      tiff.buffer,
      tiff.byteOffset + offset,
      Math.min(length, tiff.byteLength - offset),
    );
    return decodeComment(bytes, little);
  } catch {
    return undefined;
  }
}

function decodeComment(bytes: Uint8Array, little: boolean): string {
  const prefix = new TextDecoder("latin1").decode(bytes.subarray(0, 8));
  const body = bytes.subarray(8);
  if (prefix === "UNICODE\0") {
    // piexif writes UTF-16 big-endian; some tools follow the file's byte order.
    const bigEndian = body.length < 2 || body[0] === 0 || !little;
    return new TextDecoder(bigEndian ? "utf-16be" : "utf-16le").decode(body);
  }
  const text = new TextDecoder("utf-8").decode(
    prefix.startsWith("ASCII") || prefix === "\0".repeat(8) ? body : bytes,
  );
  return text.replace(/\0+$/, "");
}
