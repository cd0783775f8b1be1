/**
 * Which weight a LoRA tensor trains, for SD 1.5 and SDXL: every adapter is keyed
 * `<network>:<module>`, the module being the diffusers UNet path (`down_blocks.1.attentions.0.proj_in`)
 * or transformers' CLIP path (`text_model.encoder.layers.0.self_attn.q_proj`), whatever name the file
 * gave it. The build-time merge (lora.ts) and the per-request adapters (engine/lora/) both read these.
 *
 * The names, as diffusers reads them (loaders/lora_conversion_utils.py):
 * - kohya-ss sd-scripts: `lora_unet_<module>` with `_` for `.` (SD 1.5's modules by their diffusers
 *   paths; SDXL's by their original ldm paths, `input_blocks_4_1_…`, or diffusers' in converted
 *   files), `lora_te_<module>` for SD 1.5's CLIP, `lora_te1_` / `lora_te2_` for SDXL's two encoders;
 *   `.lora_down.weight`, `.lora_up.weight`, `.alpha`.
 * - PEFT (diffusers' LoRAs today): `unet.<module>`, `text_encoder.<module>`, `text_encoder_2.<module>`
 *   with `.lora_A.weight` (down) and `.lora_B.weight` (up), no alpha (alpha = rank).
 */
import { clipTextModelNames } from "./checkpoint-weights.ts";
import { diffusersUNetName, SDXL_UNET_LAYOUT } from "./single-file-checkpoint.ts";

/** Which network a builder weight belongs to (SDXL's second text encoder is `text_encoder_2`). */
export type LoraTarget = "unet" | "text_encoder" | "text_encoder_2";

/** The model a LoRA is merged into or applied to, which decides how kohya's names read. */
export type LoraArchitecture = "sd15" | "sdxl";

/** kohya's text-encoder prefixes per architecture: SD 1.5's one CLIP, SDXL's two. */
const KOHYA_TEXT_ENCODERS: Record<LoraArchitecture, Readonly<Record<string, LoraTarget>>> = {
  sd15: { te: "text_encoder" },
  sdxl: { te1: "text_encoder", te2: "text_encoder_2" },
};

/**
 * The module an adapter for `builderName` of `target` is keyed by, without `.weight`: the diffusers
 * UNet path as it is, a text encoder's by transformers' name.
 *
 * @example
 * loraModuleName("text_encoder_2", "encoder.layers.3.self_attn.to_q.weight") // "text_model.encoder.layers.3.self_attn.q_proj"
 */
export function loraModuleName(target: LoraTarget, builderName: string): string {
  const name = target === "unet" ? builderName : (clipTextModelNames(builderName)[0] as string);
  return name.slice(0, -".weight".length);
}

const KOHYA = /^lora_(unet|te|te1|te2)_(.+)\.(lora_down\.weight|lora_up\.weight|alpha)$/;
const PEFT = /^(unet|text_encoder|text_encoder_2)\.(.+)\.(lora_A\.weight|lora_B\.weight)$/;

/** kohya's `_`-joined module names, back to dotted paths: the modules of SD 1.5 a LoRA can train. */
const KOHYA_UNET_PATH =
  /^(down_blocks|up_blocks)_(\d+)_(attentions|resnets|downsamplers|upsamplers)_(\d+)_(.+)$|^(mid_block)_(attentions|resnets)_(\d+)_(.+)$/;

/** The same in the original (ldm) layout, as kohya names SDXL's modules. */
const KOHYA_LDM_UNET_PATH = /^(input_blocks|output_blocks)_(\d+)_(\d+)_(.+)$|^(middle_block)_(\d+)_(.+)$/;

/**
 * Which adapter a tensor of a LoRA file belongs to (`<network>:<module>`) and which part it is;
 * undefined for a tensor that is no LoRA adapter this reads (LyCORIS' LoHa or LoKr, say). A module or
 * network that `architecture` does not have keeps a key that no weight matches, so it shows as
 * unmatched.
 *
 * @example
 * parseAdapterName("lora_unet_input_blocks_4_1_proj_in.alpha", "sdxl") // { key: "unet:down_blocks.1.attentions.0.proj_in", part: "alpha" }
 */
export function parseAdapterName(
  name: string,
  architecture: LoraArchitecture = "sd15",
): { key: string; part: "down" | "up" | "alpha" } | undefined {
  const kohya = KOHYA.exec(name);
  if (kohya !== null) {
    const [, network, module, suffix] = kohya as unknown as [string, string, string, string];
    const part = suffix === "alpha" ? "alpha" : suffix.startsWith("lora_down") ? "down" : "up";
    if (network === "unet") {
      const path = kohyaUNetPath(module) ?? (architecture === "sdxl" ? kohyaLdmUNetPath(module) : undefined);
      return { key: `unet:${path ?? `?${module}`}`, part };
    }
    const target = KOHYA_TEXT_ENCODERS[architecture][network];
    if (target === undefined) return { key: `lora_${network}:${module}`, part };
    return { key: `${target}:${kohyaClipPath(module) ?? `?${module}`}`, part };
  }
  const peft = PEFT.exec(name);
  if (peft !== null) {
    const [, target, module, suffix] = peft as unknown as [string, LoraTarget, string, string];
    return { key: `${target}:${module}`, part: suffix.startsWith("lora_A") ? "down" : "up" };
  }
  return undefined;
}

/** `down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q` → `down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q`. */
export function kohyaUNetPath(module: string): string | undefined {
  const match = KOHYA_UNET_PATH.exec(module);
  if (match === null) return undefined;
  const [, blocks, block, kind, index, rest, mid, midKind, midIndex, midRest] = match;
  const prefix =
    blocks !== undefined ? `${blocks}.${block}.${kind}.${index}` : `${mid}.${midKind}.${midIndex}`;
  return `${prefix}.${innerPath((blocks !== undefined ? rest : midRest) as string)}`;
}

/**
 * SDXL's `input_blocks_4_1_transformer_blocks_0_attn1_to_q` → diffusers'
 * `down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q` (kohya trains SDXL in the ldm layout).
 */
export function kohyaLdmUNetPath(module: string): string | undefined {
  const match = KOHYA_LDM_UNET_PATH.exec(module);
  if (match === null) return undefined;
  const [, blocks, block, layer, rest, middle, middleLayer, middleRest] = match;
  const original =
    blocks !== undefined
      ? `${blocks}.${block}.${layer}.${innerPath(rest as string)}`
      : `${middle}.${middleLayer}.${innerPath(middleRest as string)}`;
  return diffusersUNetName(original, SDXL_UNET_LAYOUT);
}

/** `text_model_encoder_layers_0_self_attn_q_proj` → `text_model.encoder.layers.0.self_attn.q_proj`. */
export function kohyaClipPath(module: string): string | undefined {
  const match = /^text_model_encoder_layers_(\d+)_(self_attn|mlp)_(.+)$/.exec(module);
  if (match === null) return undefined;
  const [, layer, block, leaf] = match;
  return `text_model.encoder.layers.${layer}.${block}.${leaf}`;
}

/** Module-name words with underscores of their own, diffusers' and the original layout's. */
const UNDERSCORED_WORDS = [
  "transformer_blocks",
  "proj_in",
  "proj_out",
  "to_q",
  "to_k",
  "to_v",
  "to_out",
  "time_emb_proj",
  "conv_shortcut",
  "in_layers",
  "out_layers",
  "emb_layers",
  "skip_connection",
];

/** The part of a UNet module path inside a block, with its `_`-words kept whole. */
function innerPath(rest: string): string {
  const protectedRest = UNDERSCORED_WORDS.reduce(
    (text, word) => text.replaceAll(word, word.replaceAll("_", "\u0000")),
    rest,
  );
  return protectedRest.replaceAll("_", ".").replaceAll("\u0000", "_");
}
