import { abortError, ModelLoadError } from "../errors.ts";
import { createGenerator } from "../rng/torch-generator.ts";
import { createScheduler, type SchedulerConfig } from "../schedulers/index.ts";
import type { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import { applyGuidance, decodedToRgb } from "./tensor-math.ts";
import type { TextEncoderSession } from "./text-encoder.ts";
import type { GeneratedImage, GenerateOptions, GenerationRequest, GenerationResult } from "./types.ts";
import type { UNetSession } from "./unet.ts";
import type { VaeDecoderSession } from "./vae-decoder.ts";
import { resolveRequest } from "./validate.ts";

export interface Txt2ImgComponents {
  tokenizer: ClipTokenizer;
  textEncoder: TextEncoderSession;
  unet: UNetSession;
  vaeDecoder: VaeDecoderSession;
  schedulerConfig: SchedulerConfig;
  scalingFactor: number;
}

const LATENT_CHANNELS = 4;
const VAE_SCALE = 8;
const { fround } = Math;

/**
 * Text to image as diffusers' `StableDiffusionPipeline.__call__` does it: encode the prompt (and the
 * negative prompt for classifier-free guidance), start from torch-compatible noise for each seed,
 * denoise with one UNet call per step on the [uncond, cond] batch, decode with the VAE.
 */
export async function generateTxt2Img(
  components: Txt2ImgComponents,
  request: GenerationRequest,
  options: GenerateOptions,
): Promise<GenerationResult> {
  const resolved = resolveRequest(request);
  const { signal, onProgress } = options;
  const checkAbort = () => {
    if (signal?.aborted) throw abortError(signal.reason);
  };
  checkAbort();
  const started = performance.now();
  const timingsMs = { textEncode: 0, denoise: 0, decode: 0, total: 0 };
  const guided = resolved.guidanceScale > 1;

  let mark = performance.now();
  const { tokenizer, textEncoder } = components;
  const cond = await textEncoder.encode(tokenizer.encode(resolved.prompt));
  const uncond = guided ? await textEncoder.encode(tokenizer.encode(resolved.negativePrompt)) : undefined;
  const [, tokens, width] = cond.dims;
  if (cond.dims.length !== 3 || tokens === undefined || width === undefined) {
    throw new ModelLoadError(
      "text_encoder/model.onnx: last_hidden_state",
      `has shape [${cond.dims}], expected [1, tokens, width]`,
    );
  }
  const context = uncond === undefined ? cond.data : concat(uncond.data, cond.data);
  const contextDims = [guided ? 2 : 1, tokens, width] as const;
  timingsMs.textEncode = performance.now() - mark;

  const latentH = resolved.height / VAE_SCALE;
  const latentW = resolved.width / VAE_SCALE;
  const latentDims = [1, LATENT_CHANNELS, latentH, latentW] as const;
  const images: GeneratedImage[] = [];
  for (let image = 0; image < resolved.n; image++) {
    const seed = resolved.seed + image;
    mark = performance.now();
    const scheduler = createScheduler(resolved.scheduler, components.schedulerConfig);
    scheduler.setTimesteps(resolved.steps);
    const initSigma = fround(scheduler.initNoiseSigma);
    let latents: Float32Array = createGenerator(seed)
      .randn(latentDims)
      .map((x) => x * initSigma);
    const steps = scheduler.timesteps.length;
    for (let step = 0; step < steps; step++) {
      checkAbort();
      const t = scheduler.timesteps[step] as number;
      const input = scheduler.scaleModelInput(latents, t);
      const modelInput = guided ? concat(input, input) : input;
      const sampleDims = [guided ? 2 : 1, LATENT_CHANNELS, latentH, latentW] as const;
      const prediction = await components.unet.predict(modelInput, sampleDims, t, context, contextDims);
      const noise = guided ? applyGuidance(prediction, resolved.guidanceScale) : prediction;
      latents = scheduler.step(noise, t, latents).prevSample;
      onProgress?.({ step: step + 1, steps, image, images: resolved.n });
    }
    timingsMs.denoise += performance.now() - mark;

    checkAbort();
    mark = performance.now();
    const scaled = latents.map((x) => x / components.scalingFactor);
    const decoded = await components.vaeDecoder.decode(scaled, latentDims);
    if (decoded.width !== resolved.width || decoded.height !== resolved.height) {
      throw new ModelLoadError(
        "vae_decoder/model.onnx: sample",
        `decoded ${decoded.width}×${decoded.height} from a latent for ${resolved.width}×${resolved.height}`,
      );
    }
    images.push({
      seed,
      width: resolved.width,
      height: resolved.height,
      rgb: decodedToRgb(decoded.data, decoded.width, decoded.height),
    });
    timingsMs.decode += performance.now() - mark;
  }
  timingsMs.total = performance.now() - started;
  return { images, timingsMs };
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
