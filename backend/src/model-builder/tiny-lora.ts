import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encodeSafetensors, type SafetensorsTensor } from "../model-import/safetensors.ts";
import { WeightSource } from "./weights.ts";

/** One layer a tiny LoRA trains: kohya's module name and torch's weight shape `[out, in(, k, k)]`. */
interface TinyLoraLayer {
  kohya: string;
  shape: readonly number[];
  rank: number;
  alpha: number;
}

/**
 * Layers of the tiny ControlNet model (`TINY_CONTROLNET_UNET`, 32-wide CLIP) in both UNets and the
 * text encoder: attention projections, a feed-forward Linear, a LoCon 3×3 convolution and a CLIP
 * projection, so a request shows every kind of adapter input at work.
 */
const TINY_LORA_LAYERS: readonly TinyLoraLayer[] = [
  {
    kohya: "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q",
    shape: [16, 16],
    rank: 4,
    alpha: 4,
  },
  {
    kohya: "lora_unet_down_blocks_2_attentions_0_transformer_blocks_0_attn2_to_v",
    shape: [32, 32],
    rank: 2,
    alpha: 2,
  },
  {
    kohya: "lora_unet_mid_block_attentions_0_transformer_blocks_0_ff_net_0_proj",
    shape: [256, 32],
    rank: 2,
    alpha: 2,
  },
  { kohya: "lora_unet_down_blocks_1_resnets_0_conv1", shape: [16, 16, 3, 3], rank: 2, alpha: 2 },
  { kohya: "lora_te_text_model_encoder_layers_0_self_attn_q_proj", shape: [32, 32], rank: 4, alpha: 4 },
];

/** Bump when the file's content changes on purpose (its digest is what the registry approves). */
const TINY_LORA_VERSION = 1;

/**
 * A kohya-format LoRA (`lora_up`, `lora_down`, `alpha` per module) for the tiny ControlNet model
 * (`ensureTinyModel(dir, { controlnet: true, loraInputs: true })`), random from `seed`, scaled so
 * it changes an image clearly without blowing the tiny UNet up.
 */
export function buildTinyLoraFile(seed = 1): Uint8Array {
  const weights = new WeightSource(seed);
  const tensors = TINY_LORA_LAYERS.flatMap(({ kohya, shape, rank, alpha }): SafetensorsTensor[] => {
    const [out, ...inner] = shape as [number, ...number[]];
    const fanIn = inner.reduce((a, b) => a * b, 1);
    const conv = shape.length === 4;
    return [
      {
        name: `${kohya}.lora_up.weight`,
        dtype: "F32",
        shape: conv ? [out, rank, 1, 1] : [out, rank],
        values: weights.normal(`${kohya}.up`, out * rank, 1 / Math.sqrt(rank)),
      },
      {
        name: `${kohya}.lora_down.weight`,
        dtype: "F32",
        shape: [rank, ...inner],
        values: weights.normal(`${kohya}.down`, rank * fanIn, 1 / Math.sqrt(fanIn)),
      },
      { name: `${kohya}.alpha`, dtype: "F32", shape: [], values: Float32Array.of(alpha) },
    ];
  });
  return encodeSafetensors(tensors, { format: "pt", sdgate_tiny_lora: String(TINY_LORA_VERSION) });
}

/**
 * Make sure `<loraDir>/<name>.safetensors` holds the tiny LoRA of `seed` (rewritten whole, through a
 * rename, only when it differs) and return its path.
 *
 * @example
 * const ink = await ensureTinyLora(".sdgate/loras", "tiny-ink");
 */
export async function ensureTinyLora(loraDir: string, name: string, seed = 1): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    throw new Error(`name: ${JSON.stringify(name)} is not a file name (letters, digits, . _ -)`);
  const path = join(loraDir, `${name}.safetensors`);
  const bytes = buildTinyLoraFile(seed);
  const current = await readFile(path).catch(() => undefined);
  if (current !== undefined && Buffer.from(bytes).equals(current)) return path;
  await mkdir(loraDir, { recursive: true });
  const staging = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(staging, bytes);
  await rename(staging, path);
  return path;
}
