import { writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { buildControlNet, type ControlNetConfig } from "./controlnet.ts";
import type { FloatTypeName } from "./graph.ts";
import { json, moveIntoPlace } from "./model-folder.ts";
import { OPERATOR_SETS, type OperatorSet } from "./nn.ts";
import { sd15ControlNet } from "./sd15-architecture.ts";
import { stagingFor, writeStreamedNetwork } from "./streamed-network.ts";
import { CountingSink } from "./tensor-sink.ts";
import { controlNetConfigJson } from "./tiny-controlnet.ts";
import { type TensorRequest, WeightSource, type Weights } from "./weights.ts";

export interface ControlNetFullSizeOptions {
  dtype: "float32" | "float16";
  /** Standard ONNX operators (default) or onnxruntime's fused CUDA ones (see `OperatorSet`). */
  operators?: OperatorSet;
  /** Divide every UNet width by this (as `sd15UNet`); default 1. Ignored with `checkpoint`. */
  widthDivisor?: number;
  /** Seed of the random weights (default 1234, `buildSd15FullSize`'s, whose UNet the encoder copies). */
  seed?: number;
  /** A real ControlNet's weights and architecture (model-import's `ControlNetCheckpoint`). */
  checkpoint?: { weights: Weights; config: ControlNetConfig };
  /** Called as weights are written, with bytes of parameters done and in all. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface ControlNetFullSizeResult {
  dir: string;
  parameters: number;
  /** Bytes of `model.onnx_data`. */
  dataBytes: number;
}

/**
 * Random weights for a full-size ControlNet: the encoder is `buildSd15FullSize`'s random UNet's (drawn
 * from the same seed, as `ControlNetModel.from_unet` copies it), the ControlNet's own layers drawn from
 * another seed and not zero, so the residuals are not zero either.
 */
class RandomControlNetWeights implements Weights {
  readonly #unet: WeightSource;
  readonly #own: WeightSource;

  constructor(seed: number) {
    this.#unet = new WeightSource(seed + 3);
    this.#own = new WeightSource(seed + 6);
  }

  normal(name: string, count: number, std: number, tensor: TensorRequest): Float32Array {
    return (name.startsWith("controlnet_") ? this.#own : this.#unet).normal(name, count, std, tensor);
  }
}

/**
 * Write an SD 1.5 ControlNet (361 M parameters at full size) to `outDir` as its own folder:
 * `model.onnx`, its weights streamed into `model.onnx_data`, and diffusers' `config.json`; the folder
 * appears whole or not at all. Random weights unless `checkpoint` gives real ones.
 *
 * @example
 * await buildSd15ControlNetFullSize("/models/sd15/controlnet/random", { dtype: "float16" });
 */
export async function buildSd15ControlNetFullSize(
  outDir: string,
  options: ControlNetFullSizeOptions,
): Promise<ControlNetFullSizeResult> {
  if (options.dtype !== "float32" && options.dtype !== "float16")
    throw new Error(`options.dtype: ${JSON.stringify(options.dtype)} is not "float32" or "float16"`);
  if (options.operators !== undefined && !OPERATOR_SETS.includes(options.operators))
    throw new Error(`options.operators: ${JSON.stringify(options.operators)} is not "standard" or "fused"`);
  const dir = resolve(outDir);
  const config = options.checkpoint?.config ?? sd15ControlNet(options.widthDivisor ?? 1);
  const weights = options.checkpoint?.weights ?? new RandomControlNetWeights(options.seed ?? 1234);
  const floatType: FloatTypeName = options.dtype === "float16" ? "float16" : "float";
  const build = (graph: Parameters<typeof buildControlNet>[3]) =>
    buildControlNet(
      weights,
      config,
      { operators: options.operators ?? "standard", zeroConvGain: 0.5 },
      graph,
    );
  const counting = new CountingSink();
  build({ floatType, sink: counting });
  const staging = stagingFor(dir);
  let bytesDone = 0;
  try {
    const dataBytes = writeStreamedNetwork(staging, build, floatType, (bytes) => {
      bytesDone += bytes;
      options.onProgress?.(bytesDone, counting.parameterBytes);
    });
    writeFileSync(join(staging, "config.json"), json(controlNetConfigJson(config)));
    await moveIntoPlace(staging, dir, async () => false);
    return { dir, parameters: counting.parameters, dataBytes };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
