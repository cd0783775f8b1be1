import type { VaeEncoderSession } from "../models/vae-encoder.ts";
import type { Generator } from "../rng/torch-generator.ts";
import type { RgbImage } from "../types.ts";

const { fround } = Math;
/** diffusers' `DiagonalGaussianDistribution` clamps the log-variance to this range. */
const LOGVAR_MIN = -30;
const LOGVAR_MAX = 20;

/**
 * An RGB image as the VAE takes it, `[3, H, W]` in [-1, 1]: diffusers' `VaeImageProcessor`
 * (`pil_to_numpy`: `/ 255` in float32, then `normalize`: `2 × x − 1`).
 */
export function rgbToSigned(image: RgbImage): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      out[c * plane + i] = fround(fround((image.rgb[i * 3 + c] as number) / 255) * 2) - 1;
    }
  }
  return out;
}

/**
 * `retrieve_latents(vae.encode(image), generator) × scaling_factor` as diffusers'
 * `_encode_vae_image` does it: a `latent_parameters` encoder is sampled with the generator
 * (`DiagonalGaussianDistribution.sample`: `mean + exp(0.5 · clamp(logvar)) · randn`); a
 * `latent_sample` encoder has sampled already and draws nothing.
 */
export async function encodeToLatents(
  encoder: VaeEncoderSession,
  image: Float32Array,
  height: number,
  width: number,
  generator: Generator,
  scalingFactor: number,
): Promise<Float32Array> {
  const encoded = await encoder.encode(image, height, width);
  const latents =
    encoded.kind === "sample"
      ? encoded.latents
      : sampleDiagonalGaussian(encoded.parameters, generator, height / 8, width / 8);
  const scale = fround(scalingFactor);
  return latents.map((x) => scale * x);
}

/** Draw what sampling a `[1, 2c, h, w]` mean/log-variance tensor would draw, without the encoder. */
export function skipDiagonalGaussianDraw(
  encoder: VaeEncoderSession,
  generator: Generator,
  latentDims: readonly number[],
): void {
  if (encoder.kind === "parameters") generator.randn(latentDims);
}

function sampleDiagonalGaussian(
  parameters: Float32Array,
  generator: Generator,
  h: number,
  w: number,
): Float32Array {
  const half = parameters.length / 2;
  const channels = half / (h * w);
  const noise = generator.randn([1, channels, h, w]);
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const logvar = Math.min(LOGVAR_MAX, Math.max(LOGVAR_MIN, parameters[half + i] as number));
    const std = fround(Math.exp(fround(0.5 * logvar)));
    out[i] = (parameters[i] as number) + fround(std * (noise[i] as number));
  }
  return out;
}
