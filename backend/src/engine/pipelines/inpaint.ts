import type { RgbImage } from "../types.ts";

/**
 * The mask as diffusers' inpainting `mask_processor` makes it (`do_convert_grayscale`,
 * `do_binarize`): PIL's `convert("L")` (ITU-R 601-2 luma in 16-bit fixed point, Pillow's `L24`),
 * `/ 255`, then 1 where ≥ 0.5 (repaint) and 0 elsewhere (keep). `[H × W]`.
 */
export function binarizeMask(mask: RgbImage): Float32Array {
  const plane = mask.width * mask.height;
  const out = new Float32Array(plane);
  for (let i = 0; i < plane; i++) {
    const r = mask.rgb[i * 3] as number;
    const g = mask.rgb[i * 3 + 1] as number;
    const b = mask.rgb[i * 3 + 2] as number;
    const luma = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
    out[i] = luma >= 128 ? 1 : 0;
  }
  return out;
}

/** `init_image * (mask < 0.5)`: the kept part of a `[3, H, W]` image, zero (grey) where repainted. */
export function maskImage(image: Float32Array, mask: Float32Array): Float32Array {
  const plane = mask.length;
  return image.map((x, i) => ((mask[i % plane] as number) < 0.5 ? x : 0));
}

/**
 * The mask at latent size, `[h × w]`: `torch.nn.functional.interpolate(mask, size=(H / 8, W / 8))`,
 * whose default `nearest` mode takes the pixel at `8 · index`.
 */
export function maskToLatentSize(mask: Float32Array, width: number, height: number): Float32Array {
  const w = width / 8;
  const h = height / 8;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) out[y * w + x] = mask[y * 8 * width + x * 8] as number;
  return out;
}

/**
 * A regular UNet inpaints by keeping the known part of the image (`StableDiffusionInpaintPipeline`
 * with `num_channels_unet == 4`): after each step, `(1 − mask) · init_latents_proper + mask · latents`,
 * with the original latents re-noised to the next timestep.
 */
export function blendKnownLatents(
  latents: Float32Array,
  known: Float32Array,
  latentMask: Float32Array,
): Float32Array {
  const plane = latentMask.length;
  const out = new Float32Array(latents.length);
  for (let i = 0; i < latents.length; i++) {
    const m = latentMask[i % plane] as number;
    out[i] = (1 - m) * (known[i] as number) + m * (latents[i] as number);
  }
  return out;
}

/**
 * An inpainting UNet's input, `[batch, 4 + 1 + 4, h, w]`: each batch item's latents, then the mask,
 * then the masked image's latents (`torch.cat([latent_model_input, mask, masked_image_latents], dim=1)`).
 */
export function concatInpaintChannels(
  latents: Float32Array,
  batch: number,
  latentMask: Float32Array,
  maskedImageLatents: Float32Array,
): Float32Array {
  const itemLatents = latents.length / batch;
  const itemSize = itemLatents + latentMask.length + maskedImageLatents.length;
  const out = new Float32Array(batch * itemSize);
  for (let b = 0; b < batch; b++) {
    const offset = b * itemSize;
    out.set(latents.subarray(b * itemLatents, (b + 1) * itemLatents), offset);
    out.set(latentMask, offset + itemLatents);
    out.set(maskedImageLatents, offset + itemLatents + latentMask.length);
  }
  return out;
}
