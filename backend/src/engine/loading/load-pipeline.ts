import { access } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { lazyControlUnet } from "../control/control-unet.ts";
import { loadDeviceLoop } from "../device-loop/load-device-loop.ts";
import { InvalidArgumentError, ModelLoadError } from "../errors.ts";
import { clipImageConfig } from "../image/clip-image-input.ts";
import { generateBatchBySet } from "../lora/generate-by-set.ts";
import { LoraComponents } from "../lora/lora-components.ts";
import { parseExecutionProviders } from "../models/execution-provider-options.ts";
import { createSession, type LoadedSession } from "../models/onnx-session.ts";
import { SafetyCheckerSession } from "../models/safety-checker.ts";
import { TextEncoderSession } from "../models/text-encoder.ts";
import { UNetSession } from "../models/unet.ts";
import { VaeDecoderSession } from "../models/vae-decoder.ts";
import { VaeEncoderSession } from "../models/vae-encoder.ts";
import { generate, type PipelineComponents } from "../pipelines/generate.ts";
import { maxPromptChunks } from "../pipelines/text-conditioning.ts";
import type { ModelLimits } from "../pipelines/validate.ts";
import { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import type { EngineLogger, Pipeline, PipelineOptions } from "../types.ts";
import { detectModel } from "./detect-model.ts";
import { numberField, readJsonObject } from "./model-files.ts";
import { shortModelHash } from "./model-hash.ts";

/** Tried in this order unless `executionProviders` says otherwise. */
export const DEFAULT_EXECUTION_PROVIDERS: readonly string[] = ["cuda", "webgpu", "cpu"];
const silentLogger: EngineLogger = { info() {}, warn() {} };
/** Requests may ask for up to this many times the model's native side (SD 1.5: 2048 px). */
const MAX_SIDE_OVER_NATIVE = 4;
const DEFAULT_TRAIN_TIMESTEPS = 1000;

/**
 * Load an ONNX Stable Diffusion folder as diffusers' conversion script or optimum export it
 * (`model_index.json`, `tokenizer/`, `text_encoder/`, SDXL's `tokenizer_2/` and `text_encoder_2/`,
 * `unet/`, `vae_decoder/`, `vae_encoder/` for img2img, `safety_checker/` with `feature_extractor/` for
 * the output safety check, `scheduler/scheduler_config.json`), detect its
 * family (SD 1.x, SD 2.x, SDXL, LCM, Turbo, inpainting), and create its sessions once, on the first
 * execution provider that works.
 *
 * @example
 * const pipeline = await loadPipeline("models/sd15-onnx", { executionProviders: ["cuda", "cpu"] });
 * const { images } = await pipeline.generate({ prompt: "a red fox", width: 512, height: 512, steps: 20, guidanceScale: 7.5, seed: 1 });
 */
export async function loadPipeline(modelDir: string, options: PipelineOptions = {}): Promise<Pipeline> {
  const logger = options.logger ?? silentLogger;
  const [modelIndex, schedulerConfig, unetConfig, vaeDecoderConfig, vaeEncoderConfig] = await Promise.all([
    readJsonObject(modelDir, "model_index.json", false),
    readJsonObject(modelDir, "scheduler/scheduler_config.json", true),
    readJsonObject(modelDir, "unet/config.json", false),
    readJsonObject(modelDir, "vae_decoder/config.json", false),
    readJsonObject(modelDir, "vae_encoder/config.json", false),
  ]);
  const hasTextEncoder2 =
    "text_encoder_2" in modelIndex || (await exists(join(modelDir, "text_encoder_2/model.onnx")));
  // SDXL's refiner has only the second encoder (OpenCLIP bigG) and its tokenizer.
  const hasTextEncoder =
    "text_encoder" in modelIndex || (await exists(join(modelDir, "text_encoder/model.onnx")));
  const textFolders = hasTextEncoder
    ? [{ encoder: "text_encoder", tokenizer: "tokenizer" }]
    : [{ encoder: "text_encoder_2", tokenizer: "tokenizer_2" }];
  if (hasTextEncoder && hasTextEncoder2)
    textFolders.push({ encoder: "text_encoder_2", tokenizer: "tokenizer_2" });
  const textEncoderConfig = await readJsonObject(
    modelDir,
    `${textFolders[0]?.encoder ?? "text_encoder"}/config.json`,
    false,
  );
  const hasVaeEncoder = await exists(join(modelDir, "vae_encoder/model.onnx"));
  const hasSafetyChecker = await exists(join(modelDir, "safety_checker/model.onnx"));
  const tokenizers: ClipTokenizer[] = [];
  for (const { tokenizer } of textFolders) tokenizers.push(await loadTokenizer(modelDir, tokenizer));

  const requested =
    options.executionProviders === undefined || options.executionProviders.length === 0
      ? [...DEFAULT_EXECUTION_PROVIDERS]
      : options.executionProviders;
  let providers = requested;
  const sessions: LoadedSession[] = [];
  const load = async (file: string) => {
    const loaded = await createSession(modelDir, file, providers, logger);
    // Later sessions start from the provider that worked, so all run on the same device.
    providers = providers.slice(providers.indexOf(loaded.executionProvider));
    sessions.push(loaded);
    return loaded;
  };
  try {
    const textSessions: LoadedSession[] = [];
    for (const { encoder } of textFolders) textSessions.push(await load(`${encoder}/model.onnx`));
    const unetSession = await load("unet/model.onnx");
    const unet = new UNetSession(unetSession);
    const vaeDecoder = new VaeDecoderSession(await load("vae_decoder/model.onnx"));
    const vaeEncoder = hasVaeEncoder
      ? new VaeEncoderSession(await load("vae_encoder/model.onnx"))
      : undefined;
    const safetyChecker = hasSafetyChecker
      ? new SafetyCheckerSession(
          await load("safety_checker/model.onnx"),
          clipImageConfig(
            await readJsonObject(modelDir, "feature_extractor/preprocessor_config.json", false),
          ),
        )
      : undefined;
    const traits = detectModel({
      modelIndex,
      schedulerConfig,
      unetConfig,
      textEncoderConfig,
      hasTextEncoder2,
      hasTextEncoder,
      tokenizerPadsWithEos: tokenizers[0]?.padId === tokenizers[0]?.eosId,
      unet: {
        sampleChannels: unet.sampleChannels,
        hasAddedConditioning: unet.hasAddedConditioning,
        takesTimestepCond: unet.timestepCondDim !== undefined,
        timeIdCount: unet.timeIdCount,
      },
    });
    if (traits.inpainting && vaeEncoder === undefined) {
      throw new ModelLoadError(
        "vae_encoder/model.onnx",
        "file missing (an inpainting UNet needs the VAE encoder)",
      );
    }
    const sdxl = traits.architecture === "sdxl";
    const layerNormEps = numberField(textEncoderConfig, "layer_norm_eps");
    const textEncoders = textSessions.map(
      (session, i) =>
        new TextEncoderSession(session, {
          penultimate: sdxl,
          pooled: sdxl && i === textSessions.length - 1,
          modelPath: join(modelDir, session.file),
          ...(layerNormEps === undefined ? {} : { layerNormEps }),
        }),
    );
    const fixedLatent = unet.fixedLatentSize;
    const limits: ModelLimits = {
      maxSidePx:
        fixedLatent === undefined
          ? traits.nativeSidePx * MAX_SIDE_OVER_NATIVE
          : Math.max(fixedLatent.height, fixedLatent.width) * 8,
      fixedSize:
        fixedLatent === undefined
          ? undefined
          : { width: fixedLatent.width * 8, height: fixedLatent.height * 8 },
      maxSteps: numberField(schedulerConfig, "num_train_timesteps") ?? DEFAULT_TRAIN_TIMESTEPS,
      canEncodeImages: vaeEncoder !== undefined,
      defaultScheduler: traits.defaultScheduler,
      // clip skip picks a CLIP layer of SD 1.x/2.x's one text encoder
      maxClipSkip: textEncoders.length === 1 ? (textEncoders[0]?.maxClipSkip ?? 1) : 1,
      takesSizeConditioning: sdxl,
      takesAestheticScore: traits.refiner,
    };
    if (unet.fixedContextTokens !== undefined) {
      logger.warn("the UNet's encoder_hidden_states has a fixed token count; longer prompts will be cut", {
        modelDir,
        contextTokens: unet.fixedContextTokens,
      });
    }
    const executionProvider = sessions[0]?.executionProvider ?? "cpu";
    const hash = await shortModelHash([join(modelDir, "unet/model.onnx"), ...unetSession.externalDataPaths]);
    const components: PipelineComponents = {
      traits,
      text: {
        tokenizers,
        encoders: textEncoders,
        sdxl,
        aestheticScore: traits.refiner,
        forceZerosForEmptyPrompt: traits.forceZerosForEmptyPrompt,
        timestepCondDim: unet.timestepCondDim,
        fixedContextTokens: unet.fixedContextTokens,
        logger,
      },
      unet,
      controlUnet: lazyControlUnet(modelDir, load),
      vaeDecoder,
      vaeEncoder,
      schedulerConfig,
      scalingFactor:
        numberField(vaeDecoderConfig, "scaling_factor") ??
        numberField(vaeEncoderConfig, "scaling_factor") ??
        traits.defaultScalingFactor,
      latentChannels: vaeDecoder.latentChannels ?? numberField(vaeDecoderConfig, "latent_channels") ?? 4,
      limits,
      model: { name: options.modelName ?? basename(resolve(modelDir)), hash, family: traits.family },
      executionProvider,
    };
    const deviceLoop = loadDeviceLoop(modelDir, parseExecutionProviders(requested)[0], components, logger);
    if (deviceLoop !== undefined) components.deviceLoop = deviceLoop;
    const loras = new LoraComponents(components);
    logger.info("pipeline loaded", { modelDir, family: traits.family, executionProvider, modelHash: hash });
    const pipeline: Pipeline = {
      modelDir,
      executionProvider,
      family: traits.family,
      traits,
      modelHash: hash,
      safetyChecker,
      maxPromptChunks: maxPromptChunks(components.text),
      embedsGuidance: components.text.timestepCondDim !== undefined,
      acceptsLoras: loras.acceptsLoras,
      generate: async (request, { refiner, ...generateOptions } = {}) =>
        generate(loras.for(request.lora), request, {
          ...generateOptions,
          refiner:
            refiner === undefined ? undefined : { ...refiner, components: componentsOf(refiner.pipeline) },
        }),
      generateBatch: (entries, batchOptions = {}) => generateBatchBySet(loras, entries, batchOptions),
      release: async () => {
        deviceLoop?.release();
        await Promise.all(sessions.map((s) => s.session.release()));
      },
    };
    loadedComponents.set(pipeline, components);
    return pipeline;
  } catch (error) {
    await Promise.all(sessions.map((s) => s.session.release()));
    throw error;
  }
}

/** Each pipeline's parts, so that another pipeline can run it as its refiner. */
const loadedComponents = new WeakMap<Pipeline, PipelineComponents>();

/** A loaded pipeline's parts (for the engine's own use: a refiner run, tests that drive the loop by hand). */
export function componentsOf(pipeline: Pipeline): PipelineComponents {
  const components = loadedComponents.get(pipeline);
  if (components === undefined)
    throw new InvalidArgumentError(
      "refiner.pipeline",
      pipeline.modelDir,
      "has to be a pipeline loadPipeline made",
    );
  return components;
}

async function loadTokenizer(modelDir: string, folder: string): Promise<ClipTokenizer> {
  try {
    return await ClipTokenizer.fromDir(join(modelDir, folder));
  } catch (error) {
    throw new ModelLoadError(folder, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
