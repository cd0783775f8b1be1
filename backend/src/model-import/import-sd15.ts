import {
  buildSd15FullSize,
  checkFullSizeOptions,
  type FullSizeOptions,
  type FullSizeResult,
  type Sd15Weights,
} from "../model-builder/sd15-full-size.ts";
import { DiffusersCheckpoint, diffusersTokenizerDir } from "./checkpoint-weights.ts";
import { type LoraFile, openWithLoras, refuseUnmatchedLoras, unmatchedAdapters } from "./lora.ts";
import { SingleFileCheckpoint } from "./single-file-checkpoint.ts";

export interface Sd15ImportOptions extends Omit<FullSizeOptions, "weights" | "beforeCommit"> {
  /**
   * A diffusers-format SD 1.5 folder (`unet/`, `text_encoder/`, `vae/` safetensors, see
   * `DiffusersCheckpoint`; a float16 build reads the `.fp16.safetensors` variants first) whose
   * weights replace the random ones; its `tokenizer/` is used when `tokenizerDir` is not given and it
   * has `vocab.json` and `merges.txt`.
   */
  fromDiffusers?: string;
  /**
   * A single-file SD 1.5 checkpoint (`.safetensors` in the original layout, as A1111 and most shared
   * fine-tunes come; see `SingleFileCheckpoint`) whose weights replace the random ones. It carries no
   * tokenizer, so `tokenizerDir` is required with it.
   */
  fromCheckpoint?: string;
  /**
   * LoRA adapters (`.safetensors`, kohya's or PEFT's layout; see `LoraFile`) merged into the
   * checkpoint's UNet and text encoder, in order, each at its scale. Needs `fromDiffusers` or
   * `fromCheckpoint`.
   */
  loras?: readonly { path: string; scale: number }[];
}

export interface Sd15ImportResult extends FullSizeResult {
  /**
   * With `fromDiffusers` or `fromCheckpoint`: `file: tensor` for checkpoint tensors no network used
   * (CLIP's `position_ids`; a single file's EMA copy and noise schedule).
   */
  unusedCheckpointTensors: string[];
  /** `file: adapter` for LoRA adapters that matched no weight (a LoRA for another architecture). */
  unmatchedLoraAdapters: string[];
}

/** Real weights for the three networks, from a diffusers folder or a single file. */
interface Sd15Checkpoint extends Sd15Weights {
  unusedTensors(): string[];
  close(): void;
}

/**
 * `buildSd15FullSize` with a checkpoint's weights (`fromDiffusers`, `fromCheckpoint`) and LoRAs merged
 * into them; without a source, its seeded random weights. The files are read one tensor at a time as
 * the networks are written, and closed when the build ends.
 *
 * @example
 * await importSd15("/models/dreamshaper", { dtype: "float16", fromCheckpoint: "/m/dreamshaper_8.safetensors", tokenizerDir: "/models/clip" });
 */
export async function importSd15(outDir: string, options: Sd15ImportOptions): Promise<Sd15ImportResult> {
  checkFullSizeOptions(options);
  const { fromDiffusers, fromCheckpoint: _, loras: __, ...build } = options;
  const tokenizerDir =
    options.tokenizerDir ?? (fromDiffusers === undefined ? undefined : diffusersTokenizerDir(fromDiffusers));
  const { loras, checkpoint } = openWithLoras(options.loras ?? [], "sd15", (opened) =>
    openCheckpoint(options, opened),
  );
  try {
    const result = await buildSd15FullSize(outDir, {
      ...build,
      ...(tokenizerDir === undefined ? {} : { tokenizerDir }),
      ...(checkpoint === undefined ? {} : { weights: checkpoint }),
      beforeCommit: () => refuseUnmatchedLoras(loras, "an SD 1.5", "SDXL"),
    });
    return {
      ...result,
      unusedCheckpointTensors: checkpoint?.unusedTensors() ?? [],
      unmatchedLoraAdapters: unmatchedAdapters(loras),
    };
  } finally {
    checkpoint?.close();
    for (const lora of loras) lora.close();
  }
}

function openCheckpoint(options: Sd15ImportOptions, loras: readonly LoraFile[]): Sd15Checkpoint | undefined {
  if (options.fromDiffusers !== undefined && options.fromCheckpoint !== undefined)
    throw new Error("options.fromDiffusers and options.fromCheckpoint: give one source of weights, not both");
  if (options.fromCheckpoint !== undefined) {
    if (options.tokenizerDir === undefined)
      throw new Error(
        "options.fromCheckpoint: a single-file checkpoint has no tokenizer; give tokenizerDir (CLIP's vocab.json and merges.txt)",
      );
    return SingleFileCheckpoint.open(options.fromCheckpoint, { loras });
  }
  if (options.fromDiffusers !== undefined)
    return DiffusersCheckpoint.open(options.fromDiffusers, {
      preferFp16: options.dtype === "float16",
      loras,
    });
  if (loras.length > 0)
    throw new Error(
      "options.loras: a LoRA is merged into a checkpoint; give fromDiffusers or fromCheckpoint",
    );
  return undefined;
}
