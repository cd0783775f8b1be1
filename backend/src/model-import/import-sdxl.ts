import type { SdxlWeights } from "../model-builder/sdxl-weights.ts";
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

/** What the builder is given besides its own options. */
export interface SdxlBuildInputs {
  weights: SdxlWeights;
  /** Called once every network is written, before the folder appears: throwing abandons the build. */
  beforeCommit: () => void;
}

/** The SDXL builder (`buildSdxlFullSize` in model-builder/sdxl-full-size.ts), as the import calls it. */
export type SdxlBuilder<Options, Result> = (
  outDir: string,
  options: Options & SdxlBuildInputs,
) => Promise<Result>;

export interface SdxlImportReport {
  /** `file: tensor` for checkpoint tensors no network used (CLIP's `position_ids`, an EMA copy). */
  unusedCheckpointTensors: string[];
  /** `file: adapter` for LoRA adapters that matched no weight (a LoRA for another architecture). */
  unmatchedLoraAdapters: string[];
}

/**
 * `build` (the SDXL builder) with a checkpoint's weights (`fromDiffusers` or `fromCheckpoint`, one of
 * them) and LoRAs merged into them; the builder's own options pass through. The files are read one
 * tensor at a time as the networks are written, and closed when the build ends. A LoRA none of whose
 * adapters matched an SDXL weight abandons the build.
 *
 * @example
 * await importSdxl("/models/juggernaut-xl", { dtype: "float16", fromCheckpoint: "/m/juggernautXL.safetensors" }, buildSdxlFullSize);
 */
export async function importSdxl<Options extends { dtype?: string }, Result>(
  outDir: string,
  options: Options & SdxlImportSources,
  build: SdxlBuilder<Omit<Options, keyof SdxlImportSources>, Result>,
): Promise<Result & SdxlImportReport> {
  const { fromDiffusers: _, fromCheckpoint: __, loras: ___, ...builderOptions } = options;
  const { loras, checkpoint } = openWithLoras(options.loras ?? [], "sdxl", (opened) =>
    openCheckpoint(options, opened),
  );
  try {
    const result = await build(outDir, {
      ...builderOptions,
      weights: checkpoint,
      beforeCommit: () => refuseUnmatchedLoras(loras, "an SDXL", "SD 1.5"),
    });
    return {
      ...result,
      unusedCheckpointTensors: checkpoint.unusedTensors(),
      unmatchedLoraAdapters: unmatchedAdapters(loras),
    };
  } finally {
    checkpoint.close();
    for (const lora of loras) lora.close();
  }
}

function openCheckpoint(
  options: SdxlImportSources & { dtype?: string },
  loras: readonly LoraFile[],
): SdxlCheckpoint {
  if (options.fromDiffusers !== undefined && options.fromCheckpoint !== undefined)
    throw new Error("options.fromDiffusers and options.fromCheckpoint: give one source of weights, not both");
  if (options.fromCheckpoint !== undefined) return openSdxlSingleFile(options.fromCheckpoint, { loras });
  if (options.fromDiffusers !== undefined)
    return openSdxlDiffusers(options.fromDiffusers, {
      preferFp16: options.dtype === "float16",
      loras,
    });
  throw new Error(
    "options.fromDiffusers / options.fromCheckpoint: an SDXL import needs a source of weights (a diffusers folder or a single .safetensors file)",
  );
}
