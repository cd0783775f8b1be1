/**
 * SD 1.5 weights from one "single-file" checkpoint, the original Stable Diffusion (ldm) layout that
 * A1111, ComfyUI and most shared fine-tunes use: `model.diffusion_model.*` (UNet),
 * `first_stage_model.*` (VAE) and `cond_stage_model.transformer.*` (CLIP) in one safetensors file.
 * The builder asks by diffusers name; the names here follow diffusers' own converter
 * (scripts/convert_diffusers_to_original_stable_diffusion.py), read in the other direction.
 */
import {
  autoencoderKLNames,
  type CheckpointNames,
  CheckpointWeights,
  clipTextModelNames,
  mergeLoras,
} from "./checkpoint-weights.ts";
import type { LoraFile } from "./lora.ts";
import { SafetensorsFile } from "./safetensors.ts";

/** (original, diffusers) name pieces, as the converter lists them. */
type Pairs = readonly (readonly [string, string])[];

const UNET_WHOLE_NAMES: Pairs = [
  ["time_embed.0.weight", "time_embedding.linear_1.weight"],
  ["time_embed.0.bias", "time_embedding.linear_1.bias"],
  ["time_embed.2.weight", "time_embedding.linear_2.weight"],
  ["time_embed.2.bias", "time_embedding.linear_2.bias"],
  // SDXL's `text_time` embedding of the pooled text and the six size/crop ids
  ["label_emb.0.0.weight", "add_embedding.linear_1.weight"],
  ["label_emb.0.0.bias", "add_embedding.linear_1.bias"],
  ["label_emb.0.2.weight", "add_embedding.linear_2.weight"],
  ["label_emb.0.2.bias", "add_embedding.linear_2.bias"],
  ["input_blocks.0.0.weight", "conv_in.weight"],
  ["input_blocks.0.0.bias", "conv_in.bias"],
  ["out.0.weight", "conv_norm_out.weight"],
  ["out.0.bias", "conv_norm_out.bias"],
  ["out.2.weight", "conv_out.weight"],
  ["out.2.bias", "conv_out.bias"],
];

const UNET_RESNET_PARTS: Pairs = [
  ["in_layers.0", "norm1"],
  ["in_layers.2", "conv1"],
  ["out_layers.0", "norm2"],
  ["out_layers.3", "conv2"],
  ["emb_layers.1", "time_emb_proj"],
  ["skip_connection", "conv_shortcut"],
];

/**
 * Which levels of an ldm UNet have attention, from the highest resolution down (the up blocks mirror
 * them); every level has two ResNets down and three up, as SD 1.x, 2.x and XL do.
 */
export interface LdmUNetLayout {
  readonly crossAttention: readonly boolean[];
}

/** SD 1.x: four levels, attention on the first three. */
export const SD15_UNET_LAYOUT: LdmUNetLayout = { crossAttention: [true, true, true, false] };
/** SDXL: three levels, attention on the lower two (with 2 and 10 transformer blocks). */
export const SDXL_UNET_LAYOUT: LdmUNetLayout = { crossAttention: [false, true, true] };
/** The SDXL refiner: four levels, attention on the middle two (4 transformer blocks each). */
export const SDXL_REFINER_UNET_LAYOUT: LdmUNetLayout = { crossAttention: [false, true, true, false] };

/** The (original, diffusers) prefixes of every block of `layout`, as the converter numbers them. */
function unetLayerPrefixes({ crossAttention }: LdmUNetLayout): Pairs {
  const levels = crossAttention.length;
  const pairs: [string, string][] = [];
  for (let i = 0; i < levels; i++) {
    const downAttention = crossAttention[i] === true;
    // diffusers numbers the up blocks from the lowest resolution
    const upAttention = crossAttention[levels - 1 - i] === true;
    for (let j = 0; j < 2; j++) {
      pairs.push([`input_blocks.${3 * i + j + 1}.0.`, `down_blocks.${i}.resnets.${j}.`]);
      if (downAttention)
        pairs.push([`input_blocks.${3 * i + j + 1}.1.`, `down_blocks.${i}.attentions.${j}.`]);
    }
    for (let j = 0; j < 3; j++) {
      pairs.push([`output_blocks.${3 * i + j}.0.`, `up_blocks.${i}.resnets.${j}.`]);
      if (upAttention) pairs.push([`output_blocks.${3 * i + j}.1.`, `up_blocks.${i}.attentions.${j}.`]);
    }
    if (i < levels - 1) {
      pairs.push([`input_blocks.${3 * (i + 1)}.0.op.`, `down_blocks.${i}.downsamplers.0.conv.`]);
      pairs.push([`output_blocks.${3 * i + 2}.${upAttention ? 2 : 1}.`, `up_blocks.${i}.upsamplers.0.`]);
    }
  }
  pairs.push(["middle_block.1.", "mid_block.attentions.0."]);
  for (let j = 0; j < 2; j++) pairs.push([`middle_block.${2 * j}.`, `mid_block.resnets.${j}.`]);
  return pairs;
}
const UNET_LAYER_PREFIXES = new Map<LdmUNetLayout, Pairs>();

function layerPrefixes(layout: LdmUNetLayout): Pairs {
  let pairs = UNET_LAYER_PREFIXES.get(layout);
  if (pairs === undefined) {
    pairs = unetLayerPrefixes(layout);
    UNET_LAYER_PREFIXES.set(layout, pairs);
  }
  return pairs;
}

function vaeLayerPrefixes(): Pairs {
  const pairs: [string, string][] = [
    ["nin_shortcut", "conv_shortcut"],
    ["norm_out", "conv_norm_out"],
    ["mid.attn_1.", "mid_block.attentions.0."],
  ];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 2; j++)
      pairs.push([`encoder.down.${i}.block.${j}.`, `encoder.down_blocks.${i}.resnets.${j}.`]);
    if (i < 3) {
      pairs.push([`down.${i}.downsample.`, `down_blocks.${i}.downsamplers.0.`]);
      // the decoder's levels are numbered the other way round
      pairs.push([`up.${3 - i}.upsample.`, `up_blocks.${i}.upsamplers.0.`]);
    }
    for (let j = 0; j < 3; j++)
      pairs.push([`decoder.up.${3 - i}.block.${j}.`, `decoder.up_blocks.${i}.resnets.${j}.`]);
  }
  for (let i = 0; i < 2; i++) pairs.push([`mid.block_${i + 1}.`, `mid_block.resnets.${i}.`]);
  return pairs;
}
const VAE_LAYER_PREFIXES = vaeLayerPrefixes();

const VAE_ATTENTION_PARTS: Pairs = [
  ["norm.", "group_norm."],
  ["q.", "to_q."],
  ["k.", "to_k."],
  ["v.", "to_v."],
  ["proj_out.", "to_out.0."],
];

function replaceAll(name: string, pairs: Pairs): string {
  let out = name;
  for (const [original, diffusers] of pairs) out = out.replace(diffusers, original);
  return out;
}

/**
 * A diffusers UNet parameter name as the original checkpoint has it, without `model.diffusion_model.`.
 *
 * @example
 * originalUNetName("up_blocks.0.upsamplers.0.conv.weight") // "output_blocks.2.1.conv.weight"
 * originalUNetName("up_blocks.0.upsamplers.0.conv.weight", SDXL_UNET_LAYOUT) // "output_blocks.2.2.conv.weight"
 */
export function originalUNetName(name: string, layout: LdmUNetLayout = SD15_UNET_LAYOUT): string {
  const whole = UNET_WHOLE_NAMES.find(([, diffusers]) => diffusers === name);
  if (whole !== undefined) return whole[0];
  const renamed = name.includes("resnets") ? replaceAll(name, UNET_RESNET_PARTS) : name;
  return replaceAll(renamed, layerPrefixes(layout));
}

/**
 * An original (ldm) UNet parameter or module name, without `model.diffusion_model.`, as diffusers
 * names it; undefined for a name outside `layout` (kohya's SDXL LoRAs name modules this way).
 *
 * @example
 * diffusersUNetName("input_blocks.4.1.proj_in.weight", SDXL_UNET_LAYOUT) // "down_blocks.1.attentions.0.proj_in.weight"
 */
export function diffusersUNetName(
  original: string,
  layout: LdmUNetLayout = SD15_UNET_LAYOUT,
): string | undefined {
  const whole = UNET_WHOLE_NAMES.find(([name]) => name === original || name === `${original}.weight`);
  if (whole !== undefined) return original === whole[0] ? whole[1] : whole[1].slice(0, -".weight".length);
  const prefix = layerPrefixes(layout).find(([name]) => `${original}.`.startsWith(name));
  if (prefix === undefined) return undefined;
  const renamed = `${prefix[1]}${`${original}.`.slice(prefix[0].length)}`.slice(0, -1);
  if (!prefix[1].includes("resnets")) return renamed;
  return UNET_RESNET_PARTS.reduce(
    (out, [ldm, diffusers]) => out.replace(`.${ldm}`, `.${diffusers}`),
    renamed,
  );
}

/**
 * A diffusers VAE parameter name as the original checkpoint has it, without `first_stage_model.`.
 *
 * @example
 * originalVaeName("decoder.mid_block.attentions.0.to_q.weight") // "decoder.mid.attn_1.q.weight"
 */
export function originalVaeName(name: string): string {
  const renamed = replaceAll(name, VAE_LAYER_PREFIXES);
  return name.includes("attentions") ? replaceAll(renamed, VAE_ATTENTION_PARTS) : renamed;
}

export const UNET_PREFIX = "model.diffusion_model.";
const VAE_PREFIX = "first_stage_model.";

/** The names a single file may hold a VAE tensor under, as `first_stage_model.*` (SD 1.x and XL alike). */
export const originalVaeNames: CheckpointNames = (name) =>
  autoencoderKLNames(name).map((n) => `${VAE_PREFIX}${originalVaeName(n)}`);

const CLIP_PREFIX = "cond_stage_model.transformer.";

/**
 * The text encoder, UNet and VAE of a single-file SD 1.5 checkpoint as weight sources. CLIP's names
 * come with transformers' `text_model.` level or, in checkpoints saved with older transformers,
 * without it. A safetensors file only: pickled `.ckpt` files are refused (loading them runs code).
 *
 * @example
 * const checkpoint = SingleFileCheckpoint.open("/models/dreamshaper_8.safetensors");
 * try { buildUNet2DCondition(checkpoint.unet, sd15UNet()); } finally { checkpoint.close(); }
 */
export class SingleFileCheckpoint {
  readonly textEncoder: CheckpointWeights;
  readonly unet: CheckpointWeights;
  readonly vae: CheckpointWeights;
  readonly #file: SafetensorsFile;

  private constructor(file: SafetensorsFile, loras: readonly LoraFile[]) {
    this.#file = file;
    this.textEncoder = new CheckpointWeights(
      file,
      (name) =>
        clipTextModelNames(name).flatMap((n) => [
          `${CLIP_PREFIX}${n}`,
          `${CLIP_PREFIX}${n.replace(/^text_model\./, "")}`,
        ]),
      mergeLoras(loras, "text_encoder"),
    );
    this.unet = new CheckpointWeights(
      file,
      (name) => [`${UNET_PREFIX}${originalUNetName(name)}`],
      mergeLoras(loras, "unet"),
    );
    this.vae = new CheckpointWeights(file, originalVaeNames);
  }

  static open(path: string, options: { loras?: readonly LoraFile[] } = {}): SingleFileCheckpoint {
    return new SingleFileCheckpoint(openSingleFile(path), options.loras ?? []);
  }

  /** 9 for an inpainting fine-tune (latents, mask and masked image), else 4: its `conv_in`'s inputs. */
  get unetInChannels(): number {
    // anything but 9 is built as 4, so a conv_in of another shape is reported against SD 1.5's
    return this.#file.entry(`${UNET_PREFIX}input_blocks.0.0.weight`)?.shape[1] === 9 ? 9 : 4;
  }

  /**
   * `path: tensor` for every tensor no network read: the EMA copy, the noise schedule, CLIP's
   * `position_ids`, or a part of another architecture.
   */
  unusedTensors(): string[] {
    return unreadTensors(this.#file, [this.textEncoder, this.unet, this.vae]);
  }

  close(): void {
    this.#file.close();
  }
}

/**
 * A single-file Stable Diffusion checkpoint (SD 1.x or XL), opened: a `.safetensors` file with
 * `model.diffusion_model.*` tensors. Pickled `.ckpt` files are refused (loading them runs code).
 */
export function openSingleFile(path: string): SafetensorsFile {
  if (!path.endsWith(".safetensors"))
    throw new Error(
      `${path}: only .safetensors checkpoints are read (a pickled .ckpt runs code when loaded; convert it first)`,
    );
  const file = SafetensorsFile.open(path);
  if (!file.names.some((name) => name.startsWith(UNET_PREFIX))) {
    file.close();
    throw new Error(
      `${path}: no ${UNET_PREFIX}* tensors, so not a single-file Stable Diffusion checkpoint (a diffusers folder goes to fromDiffusers)`,
    );
  }
  return file;
}

/** `path: tensor` for every tensor of `file` that none of `sources` (reading from it) has read. */
export function unreadTensors(file: SafetensorsFile, sources: readonly CheckpointWeights[]): string[] {
  const used = new Set(sources.flatMap((source) => source.usedNames()));
  return file.names.filter((name) => !used.has(name)).map((name) => `${file.path}: ${name}`);
}
