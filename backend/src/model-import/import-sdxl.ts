import { checkFullSizeOptions } from "../model-builder/sd15-full-size.ts";
import {
  buildSdxlFullSize,
  type SdxlFullSizeOptions,
  type SdxlFullSizeResult,
} from "../model-builder/sdxl-full-size.ts";
import type { SdxlWeights } from "../model-builder/sdxl-weights.ts";
import { diffusersTokenizerDir } from "./checkpoint-weights.ts";
import { type LoraFile, openWithLoras, refuseUnmatchedLoras, unmatchedAdapters } from "./lora.ts";
import { openSdxlDiffusers, type SdxlCheckpoint } from "./sdxl-diffusers-checkpoint.ts";
import { openSdxlSingleFile } from "./sdxl-single-file-checkpoint.ts";

/** Where an SDXL build's weights come from, and the LoRAs merged into them. */
export interface SdxlImportSources {
  /**
   * A diffusers-format SDXL folder (`text_encoder/`, `text_encoder_2/`, `unet/`, `vae/` safetensors,
   * see `openSdxlDiffusers`; a float16 build reads the `.fp16.safetensors` variants first).
   */
  fromDiffusers?: string;
  /**
   * A single-file SDXL checkpoint (`.safetensors` in Stability's layout, as sd_xl_base_1.0 and most
   * shared fine-tunes come; see `openSdxlSingleFile`; fp32, fp16 or bf16).
   */
  fromCheckpoint?: string;
  /**
   * LoRA adapters (`.safetensors`, kohya's or PEFT's layout; see lora-names.ts) merged into the UNet
   * and both text encoders, in order, each at its scale. Needs `fromDiffusers` or `fromCheckpoint`.
   */
  loras?: readonly { path: string; scale: number }[];
}

/** `buildSdxlFullSize`'s options, with the weights' sources in place of `weights`. */
export interface SdxlImportOptions
  extends Omit<SdxlFullSizeOptions, "weights" | "beforeCommit">,
    SdxlImportSources {}

/** What the builder is given besides its own options. */
export interface SdxlBuildInputs {
  weights: SdxlWeights;
  /** Called once every network is written, before the folder appears: throwing abandons the build. */
  beforeCommit: () => void;
}

/** The SDXL builder as the import calls it: `buildSdxlFullSize`, or a stand-in in tests. */
export type SdxlBuilder<Result> = (
  outDir: string,
  options: Omit<SdxlImportOptions, keyof SdxlImportSources> & SdxlBuildInputs,
) => Promise<Result>;

export interface SdxlImportReport {
  /** `file: tensor` for checkpoint tensors no network used (CLIP's `position_ids`, an EMA copy). */
  unusedCheckpointTensors: string[];
  /** `file: adapter` for LoRA adapters that matched no weight (a LoRA for another architecture). */
  unmatchedLoraAdapters: string[];
}

/**
 * `buildSdxlFullSize` (or `build`) with a checkpoint's weights (`fromDiffusers` or `fromCheckpoint`,
 * one of them) and LoRAs merged into them. The files are read one tensor at a time as the networks are
 * written, and closed when the build ends; a diffusers folder's `tokenizer/` is used when
 * `tokenizerDir` is not given. A LoRA none of whose adapters matched an SDXL weight abandons the build.
 *
 * @example
 * await importSdxl("/models/juggernaut-xl", { dtype: "float16", fromCheckpoint: "/m/juggernautXL.safetensors", tokenizerDir: "/models/clip" });
 */
export function importSdxl(
  outDir: string,
  options: SdxlImportOptions,
): Promise<SdxlFullSizeResult & SdxlImportReport>;
export function importSdxl<Result>(
  outDir: string,
  options: SdxlImportOptions,
  build: SdxlBuilder<Result>,
): Promise<Result & SdxlImportReport>;
export async function importSdxl(
  outDir: string,
  options: SdxlImportOptions,
  build: SdxlBuilder<unknown> = buildSdxlFullSize,
): Promise<SdxlImportReport> {
  checkFullSizeOptions(options);
  const { fromDiffusers, fromCheckpoint: _, loras: __, ...builderOptions } = options;
  const tokenizerDir =
    options.tokenizerDir ?? (fromDiffusers === undefined ? undefined : diffusersTokenizerDir(fromDiffusers));
  const { loras, checkpoint } = openWithLoras(options.loras ?? [], "sdxl", (opened) =>
    openCheckpoint(options, opened),
  );
  try {
    const result = await build(outDir, {
      ...builderOptions,
      ...(tokenizerDir === undefined ? {} : { tokenizerDir }),
      weights: checkpoint,
      beforeCommit: () => refuseUnmatchedLoras(loras, "an SDXL", "SD 1.5"),
    });
    return {
      ...(result as object),
      unusedCheckpointTensors: checkpoint.unusedTensors(),
      unmatchedLoraAdapters: unmatchedAdapters(loras),
    };
  } finally {
    checkpoint.close();
    for (const lora of loras) lora.close();
  }
}

function openCheckpoint(options: SdxlImportOptions, loras: readonly LoraFile[]): SdxlCheckpoint {
  return openOneSource(options, "an SDXL import", {
    checkpoint: (path) => openSdxlSingleFile(path, { loras }),
    diffusers: (dir) => openSdxlDiffusers(dir, { preferFp16: options.dtype === "float16", loras }),
  });
}

/**
 * The one source of weights `options` names (a single file or a diffusers folder), opened; naming
 * both or neither is an error naming the options (`model` says which import needs them).
 */
export function openOneSource<Checkpoint>(
  options: Pick<SdxlImportSources, "fromDiffusers" | "fromCheckpoint">,
  model: string,
  open: { checkpoint: (path: string) => Checkpoint; diffusers: (dir: string) => Checkpoint },
): Checkpoint {
  if (options.fromDiffusers !== undefined && options.fromCheckpoint !== undefined)
    throw new Error("options.fromDiffusers and options.fromCheckpoint: give one source of weights, not both");
  if (options.fromCheckpoint !== undefined) return open.checkpoint(options.fromCheckpoint);
  if (options.fromDiffusers !== undefined) return open.diffusers(options.fromDiffusers);
  throw new Error(
    `options.fromDiffusers / options.fromCheckpoint: ${model} needs a source of weights (a diffusers folder or a single .safetensors file)`,
  );
}
