import { ModelLoadError } from "../errors.ts";
import type { VaeDecoderSession } from "../models/vae-decoder.ts";
import { decodedToRgb } from "./tensor-math.ts";

/**
 * Final latents to 8-bit RGB: `latents / vae.config.scaling_factor` (torch divides by the factor as a
 * float32 scalar), the VAE decoder, then diffusers' `(image / 2 + 0.5).clamp(0, 1)` to bytes.
 */
export async function decodeLatents(
  vaeDecoder: VaeDecoderSession,
  latents: Float32Array,
  latentDims: readonly [number, number, number, number],
  scalingFactor: number,
  width: number,
  height: number,
): Promise<Uint8Array> {
  const factor = Math.fround(scalingFactor);
  const scaled = new Float32Array(latents.length);
  for (let i = 0; i < latents.length; i++) scaled[i] = (latents[i] as number) / factor;
  const decoded = await vaeDecoder.decode(scaled, latentDims);
  if (decoded.width !== width || decoded.height !== height) {
    throw new ModelLoadError(
      "vae_decoder/model.onnx: sample",
      `decoded ${decoded.width}×${decoded.height} from a latent for ${width}×${height}`,
    );
  }
  return decodedToRgb(decoded.data, width, height);
}
