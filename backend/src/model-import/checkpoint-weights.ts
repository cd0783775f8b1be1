/**
 * Real weights for the builder from a diffusers-format folder (`save_pretrained`'s layout): each
 * tensor the builder asks for by its diffusers / transformers parameter name is read from the
 * component's safetensors file and rearranged as the builder asks (see `TensorRequest`).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { TensorRequest, Weights } from "../model-builder/weights.ts";
import type { LoraFile } from "./lora.ts";
import type { LoraTarget } from "./lora-names.ts";
import { SafetensorsFile } from "./safetensors.ts";

/** A builder's tensor name → the names a checkpoint may hold it under, tried in order. */
export type CheckpointNames = (builderName: string) => readonly string[];

/**
 * Where a checkpoint keeps a builder's tensor when not as it is: one of `of` equal row blocks of a
 * fused tensor (OpenCLIP's `in_proj_weight` holds q, k and v), or transposed (OpenCLIP's
 * `text_projection` is [in, out] where nn.Linear's weight is [out, in]).
 */
export interface StoredTensor {
  readonly name: string;
  readonly rowBlock?: { readonly index: number; readonly of: number };
  readonly transposed?: boolean;
}

/** {@link CheckpointNames}, where a candidate may also be a {@link StoredTensor}. */
export type CheckpointLocations = (builderName: string) => readonly (string | StoredTensor)[];

/** Changes a tensor as read, in torch's layout, before any rearranging (LoRA merging, lora.ts). */
export type TensorAdjustment = (
  builderName: string,
  values: Float32Array,
  torchShape: readonly number[],
) => Float32Array;

/**
 * One safetensors file as a weight source. A tensor the file lacks, or holds in another shape, is an
 * error naming it, the shape expected and the file; `unused` lists what no request read.
 */
export class CheckpointWeights implements Weights {
  readonly #file: SafetensorsFile;
  readonly #names: CheckpointLocations;
  readonly #adjust: TensorAdjustment | undefined;
  readonly #used = new Set<string>();

  constructor(
    file: SafetensorsFile,
    names: CheckpointLocations = (name) => [name],
    adjust?: TensorAdjustment,
  ) {
    this.#file = file;
    this.#names = names;
    this.#adjust = adjust;
  }

  normal(name: string, count: number, _std: number, tensor: TensorRequest): Float32Array {
    const candidates = this.#names(name).map((c) => (typeof c === "string" ? { name: c } : c));
    const found = candidates.find((candidate) => this.#file.entry(candidate.name) !== undefined);
    const expected = `[${tensor.torchShape.join(", ")}]`;
    if (found === undefined)
      throw new Error(
        `${this.#file.path}: no tensor ${candidates.map((c) => c.name).join(" or ")} (expected shape ${expected})`,
      );
    const shape = this.#file.entry(found.name)?.shape ?? [];
    const storedShape = storedShapeOf(found, tensor.torchShape);
    if (!sameShape(shape, storedShape))
      throw new Error(
        `${this.#file.path}: tensor ${found.name} has shape [${shape.join(", ")}], expected [${storedShape.join(", ")}]`,
      );
    const read = unpack(found, this.#file.read(found.name), storedShape);
    const values = this.#adjust === undefined ? read : this.#adjust(name, read, tensor.torchShape);
    if (values.length !== count)
      throw new Error(
        `${this.#file.path}: tensor ${found.name}: ${values.length} values, the builder wants ${count}`,
      );
    this.#used.add(found.name);
    if (tensor.transpose !== true) return values;
    const [rows, columns] = tensor.torchShape as [number, number];
    return transpose(values, rows, columns);
  }

  /** Tensors of the file that no request has read so far. */
  unused(): string[] {
    return this.#file.names.filter((name) => !this.#used.has(name));
  }

  /** Tensors of the file that requests have read (several sources may share one file). */
  usedNames(): string[] {
    return [...this.#used];
  }

  get path(): string {
    return this.#file.path;
  }
}

/** The shape `stored` has in the file when the builder wants `torchShape`. */
function storedShapeOf(stored: StoredTensor, torchShape: readonly number[]): readonly number[] {
  if (stored.transposed === true) return [...torchShape].reverse();
  if (stored.rowBlock === undefined) return torchShape;
  const [rows, ...rest] = torchShape as [number, ...number[]];
  return [rows * stored.rowBlock.of, ...rest];
}

/** The builder's tensor out of the stored one (`storedShape`): its row block, or the transpose. */
function unpack(stored: StoredTensor, values: Float32Array, storedShape: readonly number[]): Float32Array {
  if (stored.transposed === true)
    return transpose(values, storedShape[0] as number, storedShape[1] as number);
  if (stored.rowBlock === undefined) return values;
  const block = values.length / stored.rowBlock.of;
  return values.slice(stored.rowBlock.index * block, (stored.rowBlock.index + 1) * block);
}

/**
 * Equal shapes, or equal once trailing 1s are dropped: old VAE checkpoints hold the mid-block
 * attention's projections as 1×1 convolutions ([C, C, 1, 1]) where diffusers now has nn.Linear.
 */
function sameShape(actual: readonly number[], expected: readonly number[]): boolean {
  const trim = (shape: readonly number[]) => {
    let end = shape.length;
    while (end > 1 && shape[end - 1] === 1) end--;
    return shape.slice(0, end).join(",");
  };
  return actual.join(",") === expected.join(",") || trim(actual) === trim(expected);
}

/** A row-major [rows, columns] matrix as [columns, rows]: nn.Linear's [out, in] to MatMul's [in, out]. */
export function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c] as number;
  return out;
}

/**
 * transformers' `CLIPTextModel` names (models/clip/modeling_clip.py: `text_model.embeddings.*`,
 * `text_model.encoder.layers.N.self_attn.{q,k,v,out}_proj`, `layer_norm1/2`, `mlp.fc1/2`,
 * `text_model.final_layer_norm`) for the builder's, which name the attention projections as
 * diffusers' `Attention` does (`to_q`, …, `to_out.0`).
 */
export const clipTextModelNames: CheckpointNames = (name) => {
  if (name.startsWith("text_projection.")) return [name];
  const renamed = name
    .replace(/\.self_attn\.to_([qkv])\./, ".self_attn.$1_proj.")
    .replace(".self_attn.to_out.0.", ".self_attn.out_proj.");
  return [`text_model.${renamed}`];
};

/**
 * diffusers' `AutoencoderKL` names, then the pre-0.14 names of the mid-block attention (`query`,
 * `key`, `value`, `proj_attn`) that checkpoints saved before that still carry and diffusers renames
 * on load (`_convert_deprecated_attention_blocks` in models/modeling_utils.py).
 */
export const autoencoderKLNames: CheckpointNames = (name) => {
  const legacy = name
    .replace(/\.attentions\.0\.to_q\./, ".attentions.0.query.")
    .replace(/\.attentions\.0\.to_k\./, ".attentions.0.key.")
    .replace(/\.attentions\.0\.to_v\./, ".attentions.0.value.")
    .replace(/\.attentions\.0\.to_out\.0\./, ".attentions.0.proj_attn.");
  return legacy === name ? [name] : [name, legacy];
};

/** Every LoRA merged, in order, into the tensors of `target` (undefined when there are none). */
export function mergeLoras(loras: readonly LoraFile[], target: LoraTarget): TensorAdjustment | undefined {
  if (loras.length === 0) return undefined;
  return (name, values, shape) =>
    loras.reduce((merged, lora) => lora.apply(target, name, merged, shape), values);
}

/** The weight files of a diffusers folder, relative to it, without the `.safetensors` suffix. */
export const DIFFUSERS_WEIGHT_FILES = {
  text_encoder: "text_encoder/model",
  unet: "unet/diffusion_pytorch_model",
  vae: "vae/diffusion_pytorch_model",
} as const;

/**
 * The text encoder, UNet and VAE of a diffusers folder (e.g. a `stable-diffusion-v1-5` download) as
 * weight sources, each from `<file>.safetensors` or its `<file>.fp16.safetensors` variant (tried
 * first when `preferFp16`). Close it when the build is done.
 *
 * @example
 * const checkpoint = DiffusersCheckpoint.open("/models/stable-diffusion-v1-5");
 * try { buildUNet2DCondition(checkpoint.unet, sd15UNet()); } finally { checkpoint.close(); }
 */
export class DiffusersCheckpoint {
  readonly textEncoder: CheckpointWeights;
  readonly unet: CheckpointWeights;
  readonly vae: CheckpointWeights;
  readonly #files: SafetensorsFile[];

  private constructor(
    files: [SafetensorsFile, SafetensorsFile, SafetensorsFile],
    loras: readonly LoraFile[],
  ) {
    const [textEncoder, unet, vae] = files;
    this.#files = files;
    this.textEncoder = new CheckpointWeights(
      textEncoder,
      clipTextModelNames,
      mergeLoras(loras, "text_encoder"),
    );
    this.unet = new CheckpointWeights(unet, undefined, mergeLoras(loras, "unet"));
    this.vae = new CheckpointWeights(vae, autoencoderKLNames);
  }

  static open(
    dir: string,
    options: { preferFp16?: boolean; loras?: readonly LoraFile[] } = {},
  ): DiffusersCheckpoint {
    const opened = openDiffusersFiles(
      dir,
      Object.values(DIFFUSERS_WEIGHT_FILES),
      options.preferFp16 === true,
    );
    return new DiffusersCheckpoint(
      opened as [SafetensorsFile, SafetensorsFile, SafetensorsFile],
      options.loras ?? [],
    );
  }

  /** 9 for an inpainting UNet (latents, mask and masked image), else 4: its `conv_in`'s inputs. */
  get unetInChannels(): number {
    // anything but 9 is built as 4, so a conv_in of another shape is reported against SD 1.5's
    return (this.#files[1] as SafetensorsFile).entry("conv_in.weight")?.shape[1] === 9 ? 9 : 4;
  }

  /** `path: tensor` for every checkpoint tensor no network has read (e.g. CLIP's `position_ids`). */
  unusedTensors(): string[] {
    return unusedIn([this.textEncoder, this.unet, this.vae]);
  }

  close(): void {
    for (const file of this.#files) file.close();
  }
}

/**
 * A diffusers folder's `tokenizer/` (or `folder`: the SDXL refiner has `tokenizer_2/` alone), when it
 * has CLIP's `vocab.json` and `merges.txt`.
 */
export function diffusersTokenizerDir(dir: string, folder = "tokenizer"): string | undefined {
  const tokenizer = join(dir, folder);
  return ["vocab.json", "merges.txt"].every((file) => existsSync(join(tokenizer, file)))
    ? tokenizer
    : undefined;
}

/**
 * The weight files `bases` (relative to `dir`, without `.safetensors`) of a diffusers folder, opened,
 * each from `<base>.safetensors` or its `<base>.fp16.safetensors` variant (tried first when
 * `preferFp16`); none stays open when one is missing.
 */
export function openDiffusersFiles(
  dir: string,
  bases: readonly string[],
  preferFp16: boolean,
): SafetensorsFile[] {
  const opened: SafetensorsFile[] = [];
  try {
    for (const base of bases) {
      const variants = [`${base}.safetensors`, `${base}.fp16.safetensors`];
      if (preferFp16) variants.reverse();
      const file = variants.map((v) => join(dir, v)).find((path) => existsSync(path));
      if (file === undefined)
        throw new Error(
          `${dir} has no ${variants.join(" or ")} (only safetensors checkpoints are read; convert .bin files first)`,
        );
      opened.push(SafetensorsFile.open(file));
    }
  } catch (error) {
    for (const file of opened) file.close();
    throw error;
  }
  return opened;
}

/**
 * A diffusers folder's `sources` (one of `files` each) as a checkpoint: itself, what no source has
 * read, and a `close` for every file.
 */
export function diffusersSources<Sources extends Record<string, CheckpointWeights>>(
  sources: Sources,
  files: readonly SafetensorsFile[],
): Sources & { unusedTensors(): string[]; close(): void } {
  return {
    ...sources,
    unusedTensors: () => unusedIn(Object.values(sources)),
    close: () => {
      for (const file of files) file.close();
    },
  };
}

/** `path: tensor` for every tensor that `sources` (one file each) have not read. */
export function unusedIn(sources: readonly CheckpointWeights[]): string[] {
  return sources.flatMap((source) => source.unused().map((name) => `${source.path}: ${name}`));
}

/**
 * Up to ten entries as they are; more (a single file's EMA copy alone has hundreds) counted by the
 * name's first part, a group of one shown whole, so the one that matters is not lost in a wall of text.
 *
 * @example
 * summarizeUnusedTensors(result.unusedCheckpointTensors) // ["model_ema.*: 688 tensors", "a.ckpt: alphas_cumprod", …]
 */
export function summarizeUnusedTensors(unused: readonly string[]): string[] {
  if (unused.length <= 10) return [...unused];
  const groups = new Map<string, string[]>();
  for (const entry of unused) {
    const name = entry.slice(entry.lastIndexOf(": ") + 2);
    const group = name.split(".")[0] as string;
    groups.set(group, [...(groups.get(group) ?? []), entry]);
  }
  return [...groups].map(([group, entries]) =>
    entries.length === 1 ? (entries[0] as string) : `${group}.*: ${entries.length} tensors`,
  );
}
