import sharp from "sharp";
import type { RgbImage } from "../types.ts";

/** A control map stretched to another size (hires fix's second pass), with sharp's default filter. */
export async function resizeMap(map: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (map.width === width && map.height === height) return map;
  const { data } = await sharp(map.rgb, { raw: { width: map.width, height: map.height, channels: 3 } })
    .resize(width, height, { fit: "fill" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}
