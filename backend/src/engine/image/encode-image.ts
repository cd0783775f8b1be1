import sharp from "sharp";
import type { GeneratedImage } from "../pipeline/types.ts";

export type ImageFormat = "png" | "webp" | "jpeg" | "avif";

/** The formats `encodeImage` writes, as the API names them. */
export const imageFormats: readonly ImageFormat[] = ["png", "webp", "jpeg", "avif"];

/**
 * Encode a generated image with sharp. PNG is lossless and deterministic (the same pixels give the
 * same bytes, so cached and fresh responses agree); `quality` (1–100) applies to the lossy formats.
 *
 * @example
 * const png = await encodeImage(result.images[0], "png");
 */
export async function encodeImage(
  image: GeneratedImage,
  format: ImageFormat,
  quality?: number,
): Promise<Uint8Array> {
  if (quality !== undefined && (!Number.isInteger(quality) || quality < 1 || quality > 100)) {
    throw new RangeError(`quality has to be an integer from 1 to 100, but is ${quality}`);
  }
  if (image.rgb.length !== image.width * image.height * 3) {
    throw new RangeError(`image has ${image.rgb.length} bytes, expected ${image.width}×${image.height}×3`);
  }
  const input = sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } });
  const lossy = quality === undefined ? {} : { quality };
  let output: sharp.Sharp;
  switch (format) {
    case "png":
      output = input.png({ compressionLevel: 9, adaptiveFiltering: false });
      break;
    case "webp":
      output = input.webp(lossy);
      break;
    case "jpeg":
      output = input.jpeg(lossy);
      break;
    case "avif":
      output = input.avif(lossy);
      break;
  }
  return new Uint8Array(await output.toBuffer());
}
