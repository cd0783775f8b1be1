import { stepCounts } from "@sdgate/shared";
import { passControls } from "../control/pass-controls.ts";
import type { DeviceLoop } from "../device-loop/device-loop.ts";
import { abortError, InvalidArgumentError } from "../errors.ts";
import type { UNetSession } from "../models/unet.ts";
import type { VaeDecoderSession } from "../models/vae-decoder.ts";
import type { VaeEncoderSession } from "../models/vae-encoder.ts";
import { createScheduler, type SchedulerConfig } from "../schedulers/index.ts";
import type {
  GeneratedImage,
  GenerateOptions,
  GenerationRequest,
  GenerationResult,
  ModelTraits,
  Seed,
  StageTimingsMs,
} from "../types.ts";
import { encodeConditioningSchedule, type ScheduledConditioning } from "./conditioning-schedule.ts";
import { decodeLatents } from "./decode-latents.ts";
import { type DenoiseRequest, denoise } from "./denoise.ts";
import { hiresPass } from "./hires.ts";
import { strengthSchedule } from "./img2img.ts";
import { generatorFor } from "./noise-source.ts";
import { imageMetadata, type ModelIdentity } from "./recipe.ts";
import { denoiseWithRefiner, prepareRefiner, type RefinerOption, type RefinerRun } from "./refiner-stage.ts";
import { prepareStart } from "./start-latents.ts";
import { type Conditioning, conditioningRequestOf, type TextStack } from "./text-conditioning.ts";
import { type ModelLimits, resolveRequest } from "./validate.ts";

/** A loaded model's parts, as `loadPipeline` assembles them. */
export interface PipelineComponents {
  traits: ModelTraits;
  text: TextStack;
  unet: UNetSession;
  /** The UNet that takes ControlNet residuals (`cnet/model.onnx`), loaded when first asked for. */
  controlUnet: () => Promise<UNetSession>;
  vaeDecoder: VaeDecoderSession;
  vaeEncoder: VaeEncoderSession | undefined;
  schedulerConfig: SchedulerConfig;
  scalingFactor: number;
  latentChannels: number;
  limits: ModelLimits;
  model: ModelIdentity;
  executionProvider: string;
  /**
   * The denoising loop on the device (`device_loop=1` on the first execution provider): txt2img images
   * it can express run there, the rest on the host loop.
   */
  deviceLoop?: DeviceLoop;
}

/**
 * One request, as diffusers' Stable Diffusion pipelines run it: check every argument first, tokenise
 * and encode the prompts once, then per image (seed + i, its own generator and scheduler) prepare the
 * starting latents (txt2img, img2img or inpainting), denoise, and decode with the VAE.
 */
export async function generate<S extends Seed>(
  components: PipelineComponents,
  request: GenerationRequest<S>,
  options: Omit<GenerateOptions, "refiner"> & { refiner?: RefinerOption | undefined },
): Promise<GenerationResult<S>> {
  // With a refiner, the aesthetic scores are the refiner's to take (prepareRefiner)
  const { aestheticScore: _score, negativeAestheticScore: _negative, ...baseRequest } = request;
  const resolved = resolveRequest(options.refiner === undefined ? request : baseRequest, components.limits);
  if (resolved.hires !== undefined && components.traits.inpainting)
    throw new InvalidArgumentError(
      "hires.scale",
      resolved.hires.scale,
      "is not for an inpainting model (its second pass would need a mask)",
    );
  // A scheduler config this port cannot follow fails here, before any work.
  createScheduler(resolved.scheduler, components.schedulerConfig);
  const { signal, onProgress } = options;
  const checkAbort = () => {
    if (signal?.aborted) throw abortError(signal.reason);
  };
  checkAbort();
  const started = performance.now();
  const timingsMs: StageTimingsMs = {
    tokenize: 0,
    textEncode: 0,
    prepareLatents: 0,
    denoise: 0,
    decode: 0,
    total: 0,
  };
  const conditioningRequest = conditioningRequestOf(components.text, resolved);

  let mark = performance.now();
  const { entries: conditioning, tokenizeMs } = await encodeConditioningSchedule(
    components.text,
    conditioningRequest,
    resolved.steps,
  );
  const refiner =
    options.refiner === undefined
      ? undefined
      : await prepareRefiner(options.refiner, components, resolved, request);
  timingsMs.tokenize = tokenizeMs;
  timingsMs.textEncode = performance.now() - mark - tokenizeMs;

  const { width, height } = resolved;
  const controls = await passControls(resolved, components.controlUnet);
  // Progress counts the steps pricing and estimates count, both passes of a hires image.
  const totalSteps = stepCounts(resolved).stepsPerImage;
  const latentDims = [1, components.latentChannels, height / 8, width / 8] as const;
  const images: GeneratedImage<S>[] = [];
  for (const [index, seed] of resolved.seeds.entries()) {
    checkAbort();
    mark = performance.now();
    const generator = generatorFor(seed, resolved.rng);
    const scheduler = createScheduler(resolved.scheduler, components.schedulerConfig);
    scheduler.setTimesteps(resolved.steps);
    let timesteps = scheduler.timesteps;
    if (resolved.strength !== null) {
      const { beginIndex } = strengthSchedule(resolved.steps, resolved.strength, scheduler.order);
      timesteps = timesteps.subarray(beginIndex);
      scheduler.setBeginIndex(beginIndex);
    }
    const start = await prepareStart({
      width,
      height,
      latentChannels: components.latentChannels,
      scheduler,
      firstTimestep: timesteps[0] as number,
      generator,
      image: resolved.image,
      mask: resolved.mask,
      inpaintingFill: resolved.inpaintingFill,
      freshGenerator: () => generatorFor(seed, resolved.rng),
      strength: resolved.strength,
      inpaintingUnet: components.traits.inpainting,
      vaeEncoder: components.vaeEncoder,
      scalingFactor: components.scalingFactor,
    });
    timingsMs.prepareLatents += performance.now() - mark;

    mark = performance.now();
    const { hires } = resolved;
    const afterStep = (step: number) => {
      onProgress?.({ step, steps: totalSteps, image: index, images: resolved.n });
      checkAbort();
    };
    const [onDevice] =
      resolved.strength === null &&
      start.blend === undefined &&
      controls === undefined &&
      refiner === undefined &&
      conditioning.length === 1
        ? ((await components.deviceLoop?.run({
            items: [
              {
                scheduler,
                generator,
                latents: start.latents,
                conditioning: conditioning[0]?.conditioning as Conditioning,
              },
            ],
            guidanceScale: resolved.guidanceScale,
            latentDims,
            afterStep,
          })) ?? [])
        : [];
    const denoiseRequest: DenoiseRequest = {
      unet: components.unet,
      scheduler,
      timesteps,
      start,
      latentDims,
      conditioning,
      guidanceScale: resolved.guidanceScale,
      generator,
      ...(controls === undefined ? {} : { control: controls.first }),
      afterStep,
    };
    const denoised =
      onDevice !== undefined
        ? { latents: onDevice, refined: false }
        : refiner === undefined
          ? { latents: await denoise(denoiseRequest), refined: false }
          : await denoiseWithRefiner(denoiseRequest, refiner);
    let { latents } = denoised;
    // A1111 decodes with the model that ran the last step: the refiner's VAE once it took over.
    const decoder = denoised.refined ? (refiner as RefinerRun).components : components;
    let out = { latentDims: latentDims as readonly [number, number, number, number], width, height };
    if (hires !== undefined) {
      latents = await hiresPass({
        pass: hires,
        latents,
        latentChannels: components.latentChannels,
        from: { height: height / 8, width: width / 8 },
        unet: components.unet,
        scheduler: createScheduler(resolved.scheduler, components.schedulerConfig),
        conditioning: conditioning.at(-1) as ScheduledConditioning,
        guidanceScale: resolved.guidanceScale,
        generator,
        ...(controls?.hires === undefined ? {} : { control: controls.hires }),
        afterStep: (done) => {
          onProgress?.({
            step: timesteps.length + done,
            steps: totalSteps,
            image: index,
            images: resolved.n,
          });
          checkAbort();
        },
      });
      out = {
        latentDims: [1, components.latentChannels, hires.height / 8, hires.width / 8],
        width: hires.width,
        height: hires.height,
      };
    }
    timingsMs.denoise += performance.now() - mark;

    mark = performance.now();
    const rgb = await decodeLatents(
      decoder.vaeDecoder,
      latents,
      out.latentDims,
      decoder.scalingFactor,
      out.width,
      out.height,
    );
    images.push({
      seed,
      width: out.width,
      height: out.height,
      rgb,
      metadata: imageMetadata(
        resolved,
        seed,
        components.model,
        refiner === undefined
          ? undefined
          : {
              model: refiner.components.model,
              switchAt: refiner.switchAt,
              switchBy: refiner.switchBy,
              switched: denoised.refined,
              aestheticScore: request.aestheticScore,
              negativeAestheticScore: request.negativeAestheticScore,
            },
      ),
    });
    timingsMs.decode += performance.now() - mark;
  }
  timingsMs.total = performance.now() - started;
  return {
    images,
    timingsMs,
    executionProvider: components.executionProvider,
    modelHash: components.model.hash,
    family: components.model.family,
  };
}
