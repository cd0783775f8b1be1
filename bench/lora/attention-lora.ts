import type { TestAdapter } from "../../backend/src/engine/lora/lora-test-support.ts";

/** SD 1.5's spatial transformers: each block's path and width. */
const TRANSFORMERS: readonly [string, number][] = [
  ...[0, 1].flatMap((i) => [
    [`down_blocks_0_attentions_${i}`, 320] as [string, number],
    [`down_blocks_1_attentions_${i}`, 640] as [string, number],
    [`down_blocks_2_attentions_${i}`, 1280] as [string, number],
  ]),
  ["mid_block_attentions_0", 1280],
  ...[0, 1, 2].flatMap((i) => [
    [`up_blocks_1_attentions_${i}`, 1280] as [string, number],
    [`up_blocks_2_attentions_${i}`, 640] as [string, number],
    [`up_blocks_3_attentions_${i}`, 320] as [string, number],
  ]),
];

/**
 * The adapters of a typical kohya LoRA at `rank`: every attention projection of the UNet (self- and
 * cross-attention q, k, v, out; cross-attention's k and v read CLIP's 768-wide states) and of CLIP's
 * twelve self-attention layers.
 */
export function attentionAdapters(rank: number): TestAdapter[] {
  const unet = TRANSFORMERS.flatMap(([block, width]) =>
    ["attn1", "attn2"].flatMap((attn) =>
      ["to_q", "to_k", "to_v", "to_out_0"].map((projection) => ({
        kohya: `lora_unet_${block}_transformer_blocks_0_${attn}_${projection}`,
        shape: [width, attn === "attn2" && (projection === "to_k" || projection === "to_v") ? 768 : width],
        rank,
        alpha: rank / 2,
      })),
    ),
  );
  const clip = Array.from({ length: 12 }, (_, layer) =>
    ["q_proj", "k_proj", "v_proj", "out_proj"].map((projection) => ({
      kohya: `lora_te_text_model_encoder_layers_${layer}_self_attn_${projection}`,
      shape: [768, 768],
      rank,
      alpha: rank / 2,
    })),
  ).flat();
  return [...unet, ...clip];
}
