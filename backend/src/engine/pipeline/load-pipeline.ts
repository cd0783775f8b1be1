import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelLoadError } from "../errors.ts";
import type { SchedulerConfig } from "../schedulers/index.ts";
import { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import { createSession, type LoadedSession } from "./onnx-session.ts";
import { TextEncoderSession } from "./text-encoder.ts";
import { generateTxt2Img } from "./txt2img.ts";
import type { EngineLogger, Pipeline, PipelineOptions } from "./types.ts";
import { UNetSession } from "./unet.ts";
import { VaeDecoderSession } from "./vae-decoder.ts";

const SD_SCALING_FACTOR = 0.18215;
const silentLogger: EngineLogger = { info() {}, warn() {} };

/**
 * Load a diffusers-style ONNX Stable Diffusion folder (`tokenizer/`, `text_encoder/model.onnx`,
 * `unet/model.onnx`, `vae_decoder/model.onnx`, `scheduler/scheduler_config.json`) and create its
 * sessions once, on the first execution provider that works.
 *
 * @example
 * const pipeline = await loadPipeline(await ensureTinyModel(".sdgate/models"));
 * const { images } = await pipeline.generate({ prompt: "a red fox", width: 64, height: 64, steps: 8, guidanceScale: 7.5, seed: 1 });
 */
export async function loadPipeline(modelDir: string, options: PipelineOptions = {}): Promise<Pipeline> {
  const logger = options.logger ?? silentLogger;
  const tokenizer = await ClipTokenizer.fromDir(join(modelDir, "tokenizer")).catch((error: unknown) => {
    throw new ModelLoadError("tokenizer", error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  });
  const schedulerConfig = await readJson(modelDir, "scheduler/scheduler_config.json", true);
  const vaeConfig = await readJson(modelDir, "vae_decoder/config.json", false);
  const scalingFactor =
    typeof vaeConfig.scaling_factor === "number" ? vaeConfig.scaling_factor : SD_SCALING_FACTOR;

  let providers = options.executionProviders ?? ["cpu"];
  if (providers.length === 0) providers = ["cpu"];
  const sessions: LoadedSession[] = [];
  const load = async (file: string) => {
    const loaded = await createSession(join(modelDir, file), file, providers, logger);
    // Later sessions start from the provider that worked, so all run on the same device.
    providers = providers.slice(providers.indexOf(loaded.executionProvider));
    sessions.push(loaded);
    return loaded;
  };
  try {
    const textEncoder = new TextEncoderSession(await load("text_encoder/model.onnx"));
    const unet = new UNetSession(await load("unet/model.onnx"));
    const vaeDecoder = new VaeDecoderSession(await load("vae_decoder/model.onnx"));
    const executionProvider = sessions[0]?.executionProvider ?? "cpu";
    const components = { tokenizer, textEncoder, unet, vaeDecoder, schedulerConfig, scalingFactor };
    logger.info("pipeline loaded", { modelDir, executionProvider });
    return {
      modelDir,
      executionProvider,
      generate: (request, generateOptions = {}) => generateTxt2Img(components, request, generateOptions),
      release: async () => {
        await Promise.all(sessions.map((s) => s.session.release()));
      },
    };
  } catch (error) {
    await Promise.all(sessions.map((s) => s.session.release()));
    throw error;
  }
}

async function readJson(modelDir: string, file: string, required: boolean): Promise<SchedulerConfig> {
  let text: string;
  try {
    text = await readFile(join(modelDir, file), "utf8");
  } catch (error) {
    if (!required) return {};
    throw new ModelLoadError(file, `file missing (looked in ${modelDir})`, { cause: error });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error("not a JSON object");
    return parsed as SchedulerConfig;
  } catch (error) {
    throw new ModelLoadError(
      file,
      `not a JSON object: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
