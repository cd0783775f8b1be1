/**
 * Real ControlNet weights for the builder (`buildControlNet`), from the layouts ControlNets are shared
 * in:
 * - a diffusers folder (`ControlNetModel.save_pretrained`: `config.json` and
 *   `diffusion_pytorch_model[.fp16].safetensors`), e.g. lllyasviel/sd-controlnet-canny, or an SDXL one
 *   (config.json with `addition_embed_type: "text_time"`), e.g. diffusers/controlnet-canny-sdxl-1.0;
 * - a single file in lllyasviel's original layout (cldm/cldm.py's `ControlNet`): the UNet's encoder under
 *   its ldm names (`input_blocks.*`, `middle_block.*`, `time_embed.*`), `input_hint_block.*` (the
 *   conditioning embedding), `zero_convs.<i>.0.*` and `middle_block_out.0.*`; prefixed with
 *   `control_model.` when saved from the whole ControlLDM (control_sd15_canny, the fp16 safetensors
 *   conversions), without a prefix when standalone (control_v11p_sd15_canny);
 * - a "difference" file in that layout (a `difference` tensor marks it): the encoder's weights are
 *   stored as their difference from the base model's UNet, which is added back as A1111's ControlNet
 *   extension does (`build_model_by_guess` in scripts/controlnet_model_guess.py: every tensor that the
 *   base UNet also has gets the base's added, the ControlNet's own layers are taken as they are).
 * Names follow diffusers' converter (`convert_ldm_unet_checkpoint(controlnet=True)` in
 * pipelines/stable_diffusion/convert_from_ckpt.py), read in the other direction.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ControlNetConfig } from "../model-builder/controlnet.ts";
import { sd15ControlNet } from "../model-builder/sd15-architecture.ts";
import type { TensorRequest, Weights } from "../model-builder/weights.ts";
import { CheckpointWeights } from "./checkpoint-weights.ts";
import { SafetensorsFile } from "./safetensors.ts";
import { originalUNetName } from "./single-file-checkpoint.ts";

export type ControlNetLayout = "diffusers" | "original";

/** The builder names of a ControlNet's own layers; everything else is a copy of the UNet's. */
function isControlNetOwn(name: string): boolean {
  return name.startsWith("controlnet_");
}

/**
 * A diffusers `ControlNetModel` parameter name as lllyasviel's original checkpoint has it (without
 * `control_model.`).
 *
 * @example
 * originalControlNetName("controlnet_cond_embedding.blocks.5.weight") // "input_hint_block.12.weight"
 * originalControlNetName("controlnet_down_blocks.11.bias") // "zero_convs.11.0.bias"
 */
export function originalControlNetName(name: string): string {
  const embedding = /^controlnet_cond_embedding\.(conv_in|conv_out|blocks\.(\d+))\.(.+)$/.exec(name);
  if (embedding !== null) {
    // input_hint_block is one nn.Sequential of convolutions and SiLUs: 0, 2, …, 12, then conv_out at 14.
    const [, layer, block, rest] = embedding;
    const index = layer === "conv_in" ? 0 : layer === "conv_out" ? 14 : 2 * (Number(block) + 1);
    return `input_hint_block.${index}.${rest}`;
  }
  const zero = /^controlnet_down_blocks\.(\d+)\.(.+)$/.exec(name);
  if (zero !== null) return `zero_convs.${zero[1]}.0.${zero[2]}`;
  if (name.startsWith("controlnet_mid_block."))
    return name.replace("controlnet_mid_block.", "middle_block_out.0.");
  return originalUNetName(name);
}

const PREFIX = "control_model.";

export interface ControlNetOpenOptions {
  /**
   * The base model's UNet, by diffusers names (`SingleFileCheckpoint.unet`, `DiffusersCheckpoint.unet`):
   * needed for a difference file, refused otherwise.
   */
  baseUNet?: Weights;
  /**
   * The architecture, when it is not SD 1.5's (tests at reduced size). A diffusers folder's comes
   * from its config.json.
   */
  config?: ControlNetConfig;
}

/**
 * One ControlNet, opened from a diffusers folder or a `.safetensors` single file, as a weight source
 * for `buildControlNet` with its architecture. Close it when the build is done.
 *
 * @example
 * const canny = ControlNetCheckpoint.open("/models/control_v11p_sd15_canny.safetensors");
 * try { buildControlNet(canny.weights, canny.config); } finally { canny.close(); }
 */
export class ControlNetCheckpoint {
  readonly weights: Weights;
  readonly config: ControlNetConfig;
  readonly layout: ControlNetLayout;
  /** A difference file, whose encoder weights had the base UNet's added. */
  readonly difference: boolean;
  readonly #source: CheckpointWeights;
  readonly #file: SafetensorsFile;

  private constructor(
    file: SafetensorsFile,
    layout: ControlNetLayout,
    config: ControlNetConfig,
    baseUNet: Weights | undefined,
  ) {
    this.#file = file;
    this.layout = layout;
    this.config = config;
    const prefixed = file.names.some((name) => name.startsWith(PREFIX));
    this.difference = file.entry(`${prefixed ? PREFIX : ""}difference`) !== undefined;
    this.#source =
      layout === "diffusers"
        ? new CheckpointWeights(file)
        : new CheckpointWeights(file, (name) => [`${prefixed ? PREFIX : ""}${originalControlNetName(name)}`]);
    if (this.difference && baseUNet === undefined)
      throw new Error(
        `${file.path}: a difference ControlNet (it has a \`difference\` tensor): its copy of the UNet is stored as differences from the base model's, so give the base model's UNet (baseUNet / --controlnet-base)`,
      );
    if (!this.difference && baseUNet !== undefined)
      throw new Error(`${file.path}: holds whole weights, not differences: a base UNet is not wanted`);
    this.weights = this.difference ? new DifferenceWeights(this.#source, baseUNet as Weights) : this.#source;
  }

  static open(path: string, options: ControlNetOpenOptions = {}): ControlNetCheckpoint {
    const folder = existsSync(path) && statSync(path).isDirectory();
    if (!folder && !path.endsWith(".safetensors"))
      throw new Error(
        `${path}: only .safetensors ControlNets and diffusers folders are read (a pickled .pth/.ckpt runs code when loaded; convert it first)`,
      );
    const filePath = folder ? diffusersWeightFile(path) : path;
    const file = SafetensorsFile.open(filePath);
    try {
      const layout = layoutOf(file);
      const config =
        options.config ??
        (folder ? configFromJson(join(path, "config.json")) : inferSd15Config(file, layout));
      return new ControlNetCheckpoint(file, layout, config, options.baseUNet);
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** `path: tensor` for every tensor no request read (a whole ControlLDM's `model.diffusion_model.*`). */
  unusedTensors(): string[] {
    const ignored = new Set(["difference", `${PREFIX}difference`]);
    return this.#source
      .unused()
      .filter((name) => !ignored.has(name))
      .map((name) => `${this.#file.path}: ${name}`);
  }

  close(): void {
    this.#file.close();
  }
}

/** A difference file's tensors with the base UNet's added to every tensor the UNet has. */
class DifferenceWeights implements Weights {
  readonly #differences: Weights;
  readonly #base: Weights;

  constructor(differences: Weights, base: Weights) {
    this.#differences = differences;
    this.#base = base;
  }

  normal(name: string, count: number, std: number, tensor: TensorRequest): Float32Array {
    const values = this.#differences.normal(name, count, std, tensor);
    if (isControlNetOwn(name)) return values;
    // Both come in the builder's layout, so adding element by element adds the torch tensors.
    const base = this.#base.normal(name, count, std, tensor);
    return values.map((v, i) => v + (base[i] as number));
  }
}

function diffusersWeightFile(dir: string): string {
  const candidates = ["diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors"];
  const found = candidates.map((file) => join(dir, file)).find((path) => existsSync(path));
  if (found === undefined) throw new Error(`${dir} has no ${candidates.join(" or ")}`);
  if (!existsSync(join(dir, "config.json"))) throw new Error(`${dir} has no config.json`);
  return found;
}

function layoutOf(file: SafetensorsFile): ControlNetLayout {
  if (file.entry("controlnet_cond_embedding.conv_in.weight") !== undefined) return "diffusers";
  const hint = file.names.some(
    (name) => name === "input_hint_block.0.weight" || name === `${PREFIX}input_hint_block.0.weight`,
  );
  if (hint) return "original";
  throw new Error(
    `${file.path}: neither controlnet_cond_embedding.* (diffusers) nor [control_model.]input_hint_block.* (original) tensors, so not a ControlNet`,
  );
}

/** SD 1.5's architecture, after checking the file is an SD 1.5 ControlNet (SD 2.x and XL ones differ). */
function inferSd15Config(file: SafetensorsFile, layout: ControlNetLayout): ControlNetConfig {
  const config = sd15ControlNet();
  const prefix = layout === "original" && file.names.some((n) => n.startsWith(PREFIX)) ? PREFIX : "";
  const name = (diffusers: string) =>
    layout === "diffusers" ? diffusers : `${prefix}${originalControlNetName(diffusers)}`;
  const toK = name("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight");
  const width = file.entry(toK)?.shape[1];
  if (width !== config.unet.crossAttentionDim)
    throw new Error(
      `${file.path}: ${toK} reads ${width ?? "nothing"}-wide text, SD 1.5's is ${config.unet.crossAttentionDim}: only SD 1.5 ControlNets are built`,
    );
  const hint = file.entry(name("controlnet_cond_embedding.conv_in.weight"))?.shape[1];
  return { ...config, conditioningChannels: hint ?? config.conditioningChannels };
}

/** A diffusers `ControlNetModel` config.json as the builder's config, with diffusers' defaults. */
export function configFromJson(path: string): ControlNetConfig {
  const json = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  const field = <T>(key: string, fallback: T): T => (json[key] ?? fallback) as T;
  const additionType = json.addition_embed_type ?? null;
  if (additionType !== null && additionType !== "text_time")
    throw new Error(
      `${path}: addition_embed_type ${JSON.stringify(additionType)}: only SD 1.x/2.x ControlNets and SDXL's ("text_time") are built`,
    );
  const blockOutChannels = field<number[]>("block_out_channels", [320, 640, 1280, 1280]);
  const levels = blockOutChannels.length;
  const perLevel = (value: number | number[]) =>
    Array.isArray(value) ? value : new Array<number>(levels).fill(value);
  const heads =
    field<number | number[] | null>("num_attention_heads", null) ??
    field<number | number[]>("attention_head_dim", 8);
  const downBlockTypes = field<string[]>("down_block_types", [
    "CrossAttnDownBlock2D",
    "CrossAttnDownBlock2D",
    "CrossAttnDownBlock2D",
    "DownBlock2D",
  ]);
  const inChannels = field("in_channels", 4);
  return {
    unet: {
      inChannels,
      outChannels: inChannels,
      blockOutChannels,
      crossAttention: downBlockTypes.map((type) => type.startsWith("CrossAttn")),
      layersPerBlock: field("layers_per_block", 2),
      transformerLayersPerBlock: perLevel(field<number | number[]>("transformer_layers_per_block", 1)),
      attentionHeads: perLevel(heads),
      crossAttentionDim: field("cross_attention_dim", 1280),
      useLinearProjection: field("use_linear_projection", false),
      normNumGroups: field("norm_num_groups", 32),
      ...(additionType === "text_time" ? { addition: textTimeAddition(path, field) } : {}),
    },
    conditioningChannels: field("conditioning_channels", 3),
    conditioningEmbeddingChannels: field<number[]>("conditioning_embedding_out_channels", [16, 32, 96, 256]),
  };
}

/**
 * SDXL's added time embedding (`addition_embed_type: "text_time"`): each of the six `time_ids` as an
 * `addition_time_embed_dim`-wide sinusoid, concatenated after the pooled text embedding, whose width is
 * what `projection_class_embeddings_input_dim` leaves (2816 − 6 · 256 = 1280 for SDXL).
 */
function textTimeAddition(
  path: string,
  field: <T>(key: string, fallback: T) => T,
): { timeEmbedDim: number; textEmbedDim: number } {
  const timeEmbedDim = field<number | null>("addition_time_embed_dim", null);
  const projected = field<number | null>("projection_class_embeddings_input_dim", null);
  if (timeEmbedDim === null || projected === null || projected <= 6 * timeEmbedDim)
    throw new Error(
      `${path}: addition_embed_type "text_time" needs addition_time_embed_dim and a projection_class_embeddings_input_dim above 6 × it (SDXL's: 256 and 2816)`,
    );
  return { timeEmbedDim, textEmbedDim: projected - 6 * timeEmbedDim };
}
