import sharp from "sharp";
import type { RgbImage } from "../types.ts";

/** What a blocked image becomes: black, the same size, as diffusers' checker returns it. */
export function blackImage<I extends RgbImage>(image: I): I {
  return { ...image, rgb: new Uint8Array(image.rgb.length) };
}

/** Gaussian sigma as a share of the longer side: shapes of a tenth of the image melt together. */
const BLUR_SIGMA_PER_SIDE = 1 / 12;

/**
 * A gaussian blur strong enough that nothing in the image can be recognised (sigma a twelfth of the
 * longer side), the same size.
 */
export async function blurImage<I extends RgbImage>(image: I): Promise<I> {
  const { width, height } = image;
  const sigma = Math.max(2, Math.max(width, height) * BLUR_SIGMA_PER_SIDE);
  const rgb = await sharp(image.rgb, { raw: { width, height, channels: 3 } })
    .blur(sigma)
    .raw()
    .toBuffer();
  return { ...image, rgb: new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length) };
}
