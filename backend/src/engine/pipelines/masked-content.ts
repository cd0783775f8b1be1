import type { MaskedContent } from "@sdgate/shared";
import type { RgbImage } from "../types.ts";
import { pillowGaussianBlur } from "./pillow-blur.ts";

/**
 * A1111's `masking.fill` (used for every "Masked content" but "original"): the kept pixels, premultiplied,
 * blurred wider to narrower (radius 256 once, 64 once, 16 twice, 4 four times, 2 twice, then unblurred)
 * and each blur alpha-composited over the last, so the repainted area takes the colours around it.
 * `mask` is `[H × W]`, 1 where repainted.
 */
export function fillMaskedArea(image: RgbImage, mask: Float32Array): RgbImage {
  const { width, height } = image;
  const plane = width * height;
  // The kept pixels opaque, the repainted ones transparent black (`paste` with the inverted mask).
  const kept = new Uint8Array(plane * 4);
  for (let i = 0; i < plane; i++) {
    if ((mask[i] as number) >= 0.5) continue;
    kept.set(image.rgb.subarray(i * 3, i * 3 + 3), i * 4);
    kept[i * 4 + 3] = 255;
  }
  const filled = new Uint8Array(plane * 4);
  for (const [radius, repeats] of FILL_BLURS) {
    const blurred = unpremultiply(pillowGaussianBlur(kept, width, height, radius));
    for (let r = 0; r < repeats; r++) alphaComposite(filled, blurred);
  }
  const rgb = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++) rgb.set(filled.subarray(i * 4, i * 4 + 3), i * 3);
  return { rgb, width, height };
}

const FILL_BLURS = [
  [256, 1],
  [64, 1],
  [16, 2],
  [4, 4],
  [2, 2],
  [0, 1],
] as const;

/** Pillow's `RGBa` → `RGBA` (`rgba2rgbA`): colour × 255 / alpha, integer division. */
function unpremultiply(rgba: Uint8Array): Uint8Array {
  const out = rgba.slice();
  for (let i = 0; i < out.length; i += 4) {
    const alpha = out[i + 3] as number;
    if (alpha === 0 || alpha === 255) continue;
    for (let c = 0; c < 3; c++)
      out[i + c] = Math.min(255, Math.floor((255 * (rgba[i + c] as number)) / alpha));
  }
  return out;
}

const PRECISION_BITS = 7;
const shiftForDiv255 = (a: number) => ((a >>> 8) + a) >>> 8;

/** Pillow's `Image.alpha_composite(dst, src)` in place on `dst` (`ImagingAlphaComposite`, fixed point). */
function alphaComposite(dst: Uint8Array, src: Uint8Array): void {
  for (let i = 0; i < dst.length; i += 4) {
    const srcAlpha = src[i + 3] as number;
    if (srcAlpha === 0) continue;
    const blend = (dst[i + 3] as number) * (255 - srcAlpha);
    const outAlpha255 = srcAlpha * 255 + blend;
    const coef1 = Math.floor((srcAlpha * 255 * 255 * (1 << PRECISION_BITS)) / outAlpha255);
    const coef2 = 255 * (1 << PRECISION_BITS) - coef1;
    for (let c = 0; c < 3; c++) {
      const mixed = (src[i + c] as number) * coef1 + (dst[i + c] as number) * coef2;
      dst[i + c] = shiftForDiv255(mixed + (0x80 << PRECISION_BITS)) >>> PRECISION_BITS;
    }
    dst[i + 3] = shiftForDiv255(outAlpha255 + 0x80);
  }
}

/**
 * A1111's latent "Masked content" after encoding, for each channel of `[C, h, w]` latents:
 * "latent noise" `init_latent · (1 − mask) + noise · mask`, "latent nothing" `init_latent · (1 − mask)`.
 * Other modes leave the latents as they are.
 */
export function replaceMaskedLatents(
  latents: Float32Array,
  latentMask: Float32Array,
  content: MaskedContent,
  noise: () => Float32Array,
): Float32Array {
  if (content !== "latent_noise" && content !== "latent_nothing") return latents;
  const fill = content === "latent_noise" ? noise() : new Float32Array(latents.length);
  const plane = latentMask.length;
  return latents.map((x, i) => {
    const m = latentMask[i % plane] as number;
    return x * (1 - m) + (fill[i] as number) * m;
  });
}
