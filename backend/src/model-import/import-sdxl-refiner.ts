import { checkFullSizeOptions } from "../model-builder/sd15-full-size.ts";
import {
  buildSdxlRefinerFullSize,
  type SdxlRefinerFullSizeOptions,
} from "../model-builder/sdxl-refiner-full-size.ts";
import type { SdxlRefinerWeights } from "../model-builder/sdxl-weights.ts";
import { diffusersTokenizerDir } from "./checkpoint-weights.ts";
import { openOneSource, type SdxlImportReport, type SdxlImportSources } from "./import-sdxl.ts";
import { openSdxlRefinerDiffusers, openSdxlRefinerSingleFile } from "./sdxl-refiner-checkpoint.ts";

/** `buildSdxlRefinerFullSize`'s options, with the weights' sources in place of `weights`. */
export interface SdxlRefinerImportOptions
  extends Omit<SdxlRefinerFullSizeOptions, "weights">,
    SdxlImportSources {}

/** The refiner builder as the import calls it: `buildSdxlRefinerFullSize`, or a stand-in in tests. */
export type SdxlRefinerBuilder<Result> = (
  outDir: string,
  options: Omit<SdxlRefinerImportOptions, keyof SdxlImportSources> & { weights: SdxlRefinerWeights },
) => Promise<Result>;

type RefinerBuild = Awaited<ReturnType<typeof buildSdxlRefinerFullSize>>;

/**
 * `buildSdxlRefinerFullSize` (or `build`) with a refiner checkpoint's weights (`fromDiffusers` or
 * `fromCheckpoint`, one of them), read one tensor at a time as the networks are written; a diffusers
 * folder's `tokenizer_2/` is used when `tokenizerDir` is not given. LoRAs are refused: kohya's
 * sd-scripts trains SDXL base only, so no file names adapters for the refiner's one encoder
 * (`lora_te_`, SD 1.5's CLIP, or `lora_te2_`, base's bigG, would both be guesses).
 *
 * @example
 * await importSdxlRefiner("/models/sdxl-refiner", { dtype: "float16", fromCheckpoint: "/m/sd_xl_refiner_1.0.safetensors", tokenizerDir: "/models/clip" });
 */
export function importSdxlRefiner(
  outDir: string,
  options: SdxlRefinerImportOptions,
): Promise<RefinerBuild & SdxlImportReport>;
export function importSdxlRefiner<Result>(
  outDir: string,
  options: SdxlRefinerImportOptions,
  build: SdxlRefinerBuilder<Result>,
): Promise<Result & SdxlImportReport>;
export async function importSdxlRefiner(
  outDir: string,
  options: SdxlRefinerImportOptions,
  build: SdxlRefinerBuilder<unknown> = buildSdxlRefinerFullSize,
): Promise<SdxlImportReport> {
  checkFullSizeOptions(options);
  if ((options.loras ?? []).length > 0)
    throw new Error(
      "options.loras: LoRAs are not merged into the SDXL refiner (kohya's sd-scripts trains SDXL base only, so no layout names adapters for the refiner's one text encoder); merge them into SDXL base",
    );
  const { fromDiffusers, fromCheckpoint: _, loras: __, ...builderOptions } = options;
  const tokenizerDir =
    options.tokenizerDir ??
    (fromDiffusers === undefined ? undefined : diffusersTokenizerDir(fromDiffusers, "tokenizer_2"));
  const checkpoint = openOneSource(options, "an SDXL refiner import", {
    checkpoint: openSdxlRefinerSingleFile,
    diffusers: (dir) => openSdxlRefinerDiffusers(dir, { preferFp16: options.dtype === "float16" }),
  });
  try {
    const result = await build(outDir, {
      ...builderOptions,
      ...(tokenizerDir === undefined ? {} : { tokenizerDir }),
      weights: checkpoint,
    });
    return {
      ...(result as object),
      unusedCheckpointTensors: checkpoint.unusedTensors(),
      unmatchedLoraAdapters: [],
    };
  } finally {
    checkpoint.close();
  }
}
