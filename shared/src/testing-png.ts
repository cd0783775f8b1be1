import { crc32, deflateSync } from "node:zlib";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/**
 * A PNG as the spec (RFC 2083) lays it out, for tests (`@sdgate/shared/testing/png`, Node only): a
 * header declaring `width × height` 8-bit `grey` or `rgb` pixels, and `scanlines` (each row's filter
 * byte, then its pixels) deflated as its one IDAT. Scanlines that do not fill the declared size make
 * a file that lies about its size (a decompression bomb's header, without its bytes).
 *
 * @example
 * const bomb = pngWith(50_000, 50_000, "grey", Buffer.alloc(50_001)); // one row of 50,000 declared
 */
export function pngWith(width: number, height: number, colour: "grey" | "rgb", scanlines: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  // Bit depth 8, colour type 0 (grey) or 2 (RGB), deflate, adaptive filtering, no interlace.
  header.set([8, colour === "grey" ? 0 : 2, 0, 0, 0], 8);
  return Buffer.concat([
    SIGNATURE,
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(scanlines)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/**
 * A real, decodable PNG of one colour.
 *
 * @example
 * const red = solidPng(64, 64, [255, 0, 0]);
 */
export function solidPng(width: number, height: number, rgb: readonly [number, number, number]): Buffer {
  const row = Buffer.alloc(1 + width * 3); // filter byte 0 (None), then pixels
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  return pngWith(width, height, "rgb", Buffer.concat(Array.from({ length: height }, () => row)));
}
