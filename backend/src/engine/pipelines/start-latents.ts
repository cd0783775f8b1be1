import type { MaskedContent } from "@sdgate/shared";
import type { VaeEncoderSession } from "../models/vae-encoder.ts";
import type { Scheduler } from "../schedulers/index.ts";
import type { RgbImage } from "../types.ts";
import { binarizeMask, maskImage, maskToLatentSize } from "./inpaint.ts";
import { encodeToLatents, rgbToSigned, skipDiagonalGaussianDraw } from "./latents.ts";
import { fillMaskedArea, replaceMaskedLatents } from "./masked-content.ts";
import type { Generator } from "./noise-source.ts";

/** Where denoising starts, and what each step needs besides the latents. */
export interface DenoiseStart {
  latents: Float32Array;
  /** A 9-channel UNet's extra input: the mask and the masked image's latents (`[h·w]`, `[4·h·w]`). */
  inpaintInput?: { mask: Float32Array; maskedImageLatents: Float32Array };
  /** A regular UNet inpainting: the original latents and noise to re-noise them, and the mask. */
  blend?: { imageLatents: Float32Array; noise: Float32Array; mask: Float32Array };
}

export interface StartRequest {
  width: number;
  height: number;
  latentChannels: number;
  /** The scheduler after `setTimesteps` (and `setBeginIndex`). */
  scheduler: Scheduler;
  /** The first timestep that will be denoised. */
  firstTimestep: number;
  generator: Generator;
  /** img2img and inpainting. */
  image: RgbImage | undefined;
  mask: RgbImage | undefined;
  /** What the masked area starts from (A1111's "Masked content"). */
  inpaintingFill: MaskedContent;
  /** The image's seed's own generator, fresh: "latent_noise" draws from it, as A1111's `create_random_tensors`. */
  freshGenerator: () => Generator;
  strength: number | null;
  /** The UNet takes mask and masked-image channels (9 in all). */
  inpaintingUnet: boolean;
  vaeEncoder: VaeEncoderSession | undefined;
  scalingFactor: number;
}

const { fround } = Math;

/**
 * The starting latents, drawing from the generator in diffusers' order so a seed gives diffusers'
 * image. txt2img (`StableDiffusionPipeline.prepare_latents`): noise × `init_noise_sigma`. img2img
 * (`StableDiffusionImg2ImgPipeline.prepare_latents`): the image's latents (a draw for a
 * `latent_parameters` encoder), then noise, `add_noise` at the first timestep. Inpainting
 * (`StableDiffusionInpaintPipeline.prepare_latents` then `prepare_mask_latents`): the image's latents
 * when a regular UNet needs them or strength < 1, the noise, then the masked image's latents. An
 * inpainting UNet without a mask repaints everything (A1111's txt2img/img2img on inpainting models).
 * A1111's "Masked content" applies to the image's latents, whichever the UNet: "fill" (and the latent
 * modes, after it, as A1111) blurs the surrounding colours into the masked pixels before encoding;
 * "latent_noise"/"latent_nothing" then replace the masked latents. At strength 1 the run starts from
 * noise alone (diffusers), so only strength < 1 shows them; the masked image's latents an inpainting
 * UNet takes are unchanged (their masked pixels are zero either way).
 */
export async function prepareStart(request: StartRequest): Promise<DenoiseStart> {
  const { width, height, scheduler, generator, vaeEncoder, scalingFactor } = request;
  const latentDims = [1, request.latentChannels, height / 8, width / 8];
  const initSigma = fround(scheduler.initNoiseSigma);
  const inpainting = request.mask !== undefined || request.inpaintingUnet;
  const encode = (pixels: Float32Array) => {
    if (vaeEncoder === undefined) throw new Error("image latents need a VAE encoder");
    return encodeToLatents(vaeEncoder, pixels, height, width, generator, scalingFactor);
  };

  if (!inpainting) {
    if (request.image === undefined) {
      return { latents: generator.randn(latentDims).map((x) => x * initSigma) };
    }
    const imageLatents = await encode(rgbToSigned(request.image));
    const noise = generator.randn(latentDims);
    return { latents: scheduler.addNoise(imageLatents, noise, request.firstTimestep) };
  }

  const mask =
    request.mask === undefined ? new Float32Array(width * height).fill(1) : binarizeMask(request.mask);
  const filled =
    request.image !== undefined && request.mask !== undefined && request.inpaintingFill !== "original"
      ? fillMaskedArea(request.image, mask)
      : request.image;
  const pixels = filled === undefined ? new Float32Array(3 * width * height) : rgbToSigned(filled);
  const latentMask = maskToLatentSize(mask, width, height);
  const strengthIsMax = (request.strength ?? 1) === 1;
  const needImageLatents = !request.inpaintingUnet || !strengthIsMax;
  const imageLatents = needImageLatents
    ? replaceMaskedLatents(await encode(pixels), latentMask, request.inpaintingFill, () =>
        request.freshGenerator().randn(latentDims),
      )
    : undefined;
  const noise = generator.randn(latentDims);
  const latents =
    strengthIsMax || imageLatents === undefined
      ? noise.map((x) => x * initSigma)
      : scheduler.addNoise(imageLatents, noise, request.firstTimestep);
  if (!request.inpaintingUnet) {
    // diffusers encodes the masked image here too; a regular UNet never uses it, so only its draw is made.
    if (vaeEncoder !== undefined) skipDiagonalGaussianDraw(vaeEncoder, generator, latentDims);
    return { latents, blend: { imageLatents: imageLatents as Float32Array, noise, mask: latentMask } };
  }
  const maskedImageLatents = await encode(maskImage(pixels, mask));
  return { latents, inpaintInput: { mask: latentMask, maskedImageLatents } };
}
