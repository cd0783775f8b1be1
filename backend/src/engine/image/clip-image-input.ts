import sharp from "sharp";
import type { JsonObject } from "../loading/model-files.ts";
import type { RgbImage } from "../types.ts";

/** How CLIP's image processor prepares an image (`feature_extractor/preprocessor_config.json`). */
export interface ClipImageConfig {
  /** The shortest side after resizing. */
  shortestEdgePx: number;
  cropPx: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** OpenAI CLIP's values, which every Stable Diffusion export's feature extractor has. */
export const CLIP_IMAGE_CONFIG: ClipImageConfig = {
  shortestEdgePx: 224,
  cropPx: 224,
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
};

/** The processor config's sizes and statistics, falling back to CLIP's for anything it lacks. */
export function clipImageConfig(config: JsonObject): ClipImageConfig {
  const side = (value: unknown, key: "shortest_edge" | "height"): number | undefined => {
    if (typeof value === "number") return value;
    const inner = typeof value === "object" && value !== null ? (value as JsonObject)[key] : undefined;
    return typeof inner === "number" ? inner : undefined;
  };
  const triple = (value: unknown): [number, number, number] | undefined => {
    if (!Array.isArray(value) || value.length !== 3) return undefined;
    const [a, b, c] = value as unknown[];
    return typeof a === "number" && typeof b === "number" && typeof c === "number" ? [a, b, c] : undefined;
  };
  const cropPx = side(config.crop_size, "height") ?? CLIP_IMAGE_CONFIG.cropPx;
  return {
    // a crop larger than the resized image would need padding, which no released config asks for
    shortestEdgePx: Math.max(cropPx, side(config.size, "shortest_edge") ?? CLIP_IMAGE_CONFIG.shortestEdgePx),
    cropPx,
    mean: triple(config.image_mean) ?? CLIP_IMAGE_CONFIG.mean,
    std: triple(config.image_std) ?? CLIP_IMAGE_CONFIG.std,
  };
}

/**
 * `CLIPImageProcessor` (transformers' models/clip/image_processing_clip.py) on an 8-bit image:
 * resize so the shortest side is `shortestEdgePx` (bicubic), centre-crop `cropPx` square, scale to
 * [0, 1] and normalise per channel; planar [3, crop, crop] float32 values.
 */
export async function clipPixelValues(image: RgbImage, config: ClipImageConfig): Promise<Float32Array> {
  const { width, height } = image;
  const scale = config.shortestEdgePx / Math.min(width, height);
  // transformers' get_resize_output_image_size: the short side exact, the long one truncated
  const resizedWidth = width <= height ? config.shortestEdgePx : Math.trunc(width * scale);
  const resizedHeight = width <= height ? Math.trunc(height * scale) : config.shortestEdgePx;
  const crop = config.cropPx;
  const left = Math.floor((resizedWidth - crop) / 2);
  const top = Math.floor((resizedHeight - crop) / 2);
  const rgb = await sharp(image.rgb, { raw: { width, height, channels: 3 } })
    .resize(resizedWidth, resizedHeight, { kernel: "cubic", fit: "fill" })
    .extract({ left, top, width: crop, height: crop })
    .raw()
    .toBuffer();
  const area = crop * crop;
  const out = new Float32Array(3 * area);
  for (let i = 0; i < area; i++)
    for (let c = 0; c < 3; c++)
      out[c * area + i] =
        ((rgb[i * 3 + c] as number) / 255 - (config.mean[c] as number)) / (config.std[c] as number);
  return out;
}
