/** An image's pixels as a canvas gives them (`ImageData`): RGBA, row by row. */
export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Two images' difference: an image of it, amplified so small changes show, and how much differs. */
export interface PixelDifference extends Pixels {
  /** Pixels where any colour channel differs at all. */
  differingPixels: number;
  /** Their share of all pixels, 0 to 1. */
  differingShare: number;
  /** The largest difference of any channel of any pixel, 0 to 255. */
  maxDifference: number;
}

/**
 * The per-pixel absolute difference of two images of one size: each channel |a − b| × `amplify`
 * (capped at 255, alpha left opaque), with the share of pixels that differ and the largest
 * difference, so the same run twice reads 0 % and 0 and two seeds read far from it.
 *
 * @example
 * const diff = pixelDifference(a.getImageData(0, 0, w, h), b.getImageData(0, 0, w, h), 8);
 * `${(diff.differingShare * 100).toFixed(1)} % of pixels differ, by up to ${diff.maxDifference}`;
 */
export function pixelDifference(a: Pixels, b: Pixels, amplify = 1): PixelDifference {
  if (a.width !== b.width || a.height !== b.height)
    throw new RangeError(`The images differ in size: ${a.width}×${a.height} and ${b.width}×${b.height}.`);
  if (!(amplify >= 1)) throw new RangeError(`amplify must be 1 or more, not ${amplify}.`);
  const data = new Uint8ClampedArray(a.data.length);
  let differingPixels = 0;
  let maxDifference = 0;
  for (let at = 0; at < data.length; at += 4) {
    let pixelMax = 0;
    for (let channel = 0; channel < 3; channel++) {
      const difference = Math.abs((a.data[at + channel] ?? 0) - (b.data[at + channel] ?? 0));
      data[at + channel] = difference * amplify;
      if (difference > pixelMax) pixelMax = difference;
    }
    data[at + 3] = 255;
    if (pixelMax > 0) differingPixels++;
    if (pixelMax > maxDifference) maxDifference = pixelMax;
  }
  const pixels = a.width * a.height;
  return {
    width: a.width,
    height: a.height,
    data,
    differingPixels,
    differingShare: pixels === 0 ? 0 : differingPixels / pixels,
    maxDifference,
  };
}
