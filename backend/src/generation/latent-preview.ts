import sharp from "sharp";
import type { LatentPreview } from "../engine/index.ts";
import type { PreviewImage } from "./engine.ts";

/**
 * The linear latent → RGB approximations ComfyUI's previews use (`comfy/latent_formats.py`,
 * `latent_rgb_factors`): rows are the 4 latent channels, columns R, G, B; SDXL adds a bias.
 */
const SD_FACTORS = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];
const SDXL_FACTORS = [
  [0.3651, 0.4232, 0.4341],
  [-0.2533, -0.0042, 0.1068],
  [0.1076, 0.1111, -0.0362],
  [-0.3165, -0.2492, -0.2188],
];
const SDXL_BIAS = [0.1084, -0.0175, -0.0011];
const PREVIEW_JPEG_QUALITY = 70;

/** A preview at latent resolution (64×64 for 512×512), or `undefined` for latents that are not 4 channels. */
export async function previewImage(preview: LatentPreview, sdxl: boolean): Promise<PreviewImage | undefined> {
  const [, channels, height, width] = preview.dims;
  if (channels !== 4) return undefined;
  const factors = sdxl ? SDXL_FACTORS : SD_FACTORS;
  const bias = sdxl ? SDXL_BIAS : [0, 0, 0];
  const plane = width * height;
  const rgb = new Uint8ClampedArray(plane * 3);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      let value = bias[c] as number;
      for (let k = 0; k < 4; k++) {
        value += (preview.latents[k * plane + i] as number) * ((factors[k] as number[])[c] as number);
      }
      // ComfyUI's `((x + 1) / 2).clamp(0, 1) * 255`; the clamped array does the clamp.
      rgb[i * 3 + c] = ((value + 1) / 2) * 255;
    }
  }
  const jpeg = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: PREVIEW_JPEG_QUALITY })
    .toBuffer();
  return { format: "jpeg", width, height, b64: jpeg.toString("base64") };
}
