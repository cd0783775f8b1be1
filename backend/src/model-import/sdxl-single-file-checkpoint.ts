/**
 * SDXL weights from one single-file checkpoint, the layout of Stability's release
 * (sd_xl_base_1.0.safetensors, generative-models' `sgm` code) and of the fine-tunes shared from it:
 * `conditioner.embedders.0.transformer.*` (CLIP ViT-L, transformers' names),
 * `conditioner.embedders.1.model.*` (OpenCLIP ViT-bigG, open_clip's names), `model.diffusion_model.*`
 * (the UNet, ldm's block layout in three levels) and `first_stage_model.*` (the VAE, as SD 1.5's).
 * The builder asks by diffusers name; the names follow diffusers' single-file loader
 * (loaders/single_file_utils.py: `convert_ldm_unet_checkpoint`, `convert_open_clip_checkpoint`), read
 * in the other direction.
 */
import {
  type CheckpointLocations,
  CheckpointWeights,
  clipTextModelNames,
  mergeLoras,
  type StoredTensor,
} from "./checkpoint-weights.ts";
import type { LoraFile } from "./lora.ts";
import type { LoraTarget } from "./lora-names.ts";
import type { SdxlCheckpoint } from "./sdxl-diffusers-checkpoint.ts";
import {
  openSingleFile,
  originalUNetName,
  originalVaeNames,
  SDXL_UNET_LAYOUT,
  UNET_PREFIX,
  unreadTensors,
} from "./single-file-checkpoint.ts";

export const SDXL_CLIP_PREFIX = "conditioner.embedders.0.transformer.";
export const SDXL_OPEN_CLIP_PREFIX = "conditioner.embedders.1.model.";

/** transformers' CLIP layer parts → open_clip's (`ResidualAttentionBlock`). */
const OPEN_CLIP_LAYER_PARTS: readonly (readonly [string, string])[] = [
  ["layer_norm1.", "ln_1."],
  ["layer_norm2.", "ln_2."],
  ["mlp.fc1.", "mlp.c_fc."],
  ["mlp.fc2.", "mlp.c_proj."],
  ["self_attn.to_out.0.", "attn.out_proj."],
];

const OPEN_CLIP_WHOLE_NAMES: Readonly<Record<string, string>> = {
  "embeddings.token_embedding.weight": "token_embedding.weight",
  "embeddings.position_embedding.weight": "positional_embedding",
  "final_layer_norm.weight": "ln_final.weight",
  "final_layer_norm.bias": "ln_final.bias",
};

/**
 * Where open_clip keeps a tensor of the builder's `CLIPTextModelWithProjection` (names without
 * `conditioner.embedders.1.model.`): q, k and v as the thirds of `attn.in_proj_weight` /
 * `in_proj_bias` (torch's `nn.MultiheadAttention`), `text_projection` as the [in, out] matrix that
 * open_clip multiplies by (`x @ text_projection`), so transposed, or as an nn.Linear's
 * `text_projection.weight` (ComfyUI saves it so).
 *
 * @example
 * openClipNames("encoder.layers.3.self_attn.to_k.weight") // [{ name: "transformer.resblocks.3.attn.in_proj_weight", rowBlock: { index: 1, of: 3 } }]
 */
export function openClipNames(name: string): StoredTensor[] {
  if (name === "text_projection.weight")
    return [{ name: "text_projection", transposed: true }, { name: "text_projection.weight" }];
  return [openClipLayerName(name)];
}

function openClipLayerName(name: string): StoredTensor {
  const whole = OPEN_CLIP_WHOLE_NAMES[name];
  if (whole !== undefined) return { name: whole };
  const layer = /^encoder\.layers\.(\d+)\.(.+)$/.exec(name);
  if (layer === null) return { name };
  const [, index, rest] = layer as unknown as [string, string, string];
  const block = `transformer.resblocks.${index}.`;
  const qkv = /^self_attn\.to_([qkv])\.(weight|bias)$/.exec(rest);
  if (qkv !== null)
    return {
      name: `${block}attn.in_proj_${qkv[2]}`,
      rowBlock: { index: "qkv".indexOf(qkv[1] as string), of: 3 },
    };
  const part = OPEN_CLIP_LAYER_PARTS.find(([transformers]) => rest.startsWith(transformers));
  return { name: part === undefined ? `${block}${rest}` : `${block}${part[1]}${rest.slice(part[0].length)}` };
}

/** `names`, each under `prefix` (a single file keeps each network under its own). */
export const prefixed =
  (prefix: string, names: (name: string) => readonly (string | StoredTensor)[]): CheckpointLocations =>
  (name) =>
    names(name).map((n) => (typeof n === "string" ? `${prefix}${n}` : { ...n, name: `${prefix}${n.name}` }));

/**
 * The four networks of a single-file SDXL checkpoint (base or a fine-tune; fp32, fp16 or bf16) as
 * weight sources, with LoRAs merged into the UNet and both text encoders. Its `unusedTensors` are
 * CLIP's `position_ids`, open_clip's `logit_scale`, an EMA copy or a part of another architecture.
 * Close it when the build is done.
 *
 * @example
 * const checkpoint = openSdxlSingleFile("/models/sd_xl_base_1.0.safetensors");
 * try { await buildSdxlFullSize(dir, { dtype: "float16", weights: checkpoint }); } finally { checkpoint.close(); }
 */
export function openSdxlSingleFile(
  path: string,
  options: { loras?: readonly LoraFile[] } = {},
): SdxlCheckpoint {
  const file = openSingleFile(path);
  if (!file.names.some((name) => name.startsWith(SDXL_OPEN_CLIP_PREFIX))) {
    file.close();
    throw new Error(
      `${path}: no ${SDXL_OPEN_CLIP_PREFIX}* tensors (SDXL's OpenCLIP bigG encoder), so not an SDXL checkpoint`,
    );
  }
  const loras = options.loras ?? [];
  const source = (names: CheckpointLocations, target?: LoraTarget) =>
    new CheckpointWeights(file, names, target === undefined ? undefined : mergeLoras(loras, target));
  const sources = {
    textEncoder: source(prefixed(SDXL_CLIP_PREFIX, clipTextModelNames), "text_encoder"),
    textEncoder2: source(prefixed(SDXL_OPEN_CLIP_PREFIX, openClipNames), "text_encoder_2"),
    unet: source(
      prefixed(UNET_PREFIX, (name) => [originalUNetName(name, SDXL_UNET_LAYOUT)]),
      "unet",
    ),
    vae: source(originalVaeNames),
  };
  return {
    ...sources,
    unusedTensors: () => unreadTensors(file, Object.values(sources)),
    close: () => file.close(),
  };
}
