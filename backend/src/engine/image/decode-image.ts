import sharp from "sharp";
import type { RgbImage } from "../pipeline/types.ts";

/**
 * Decode a PNG, JPEG, WebP, AVIF, … to 8-bit RGB for img2img and inpainting inputs. Alpha is dropped
 * without compositing and EXIF orientation is not applied, as Pillow's `convert("RGB")` does in
 * diffusers' pipelines.
 *
 * @example
 * const image = await decodeImage(await readFile("init.png"));
 * await pipeline.generate({ ...request, image, strength: 0.6 });
 */
export async function decodeImage(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes)
    .toColourspace("srgb")
    .removeAlpha()
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new RangeError(`decoded ${info.channels} channels, expected 3`);
  return {
    rgb: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}
