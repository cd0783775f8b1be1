import { sd15UNet } from "../../backend/src/model-builder/sd15-architecture.ts";
import type { UNet2DConditionConfig } from "../../backend/src/model-builder/unet-2d-condition.ts";

/**
 * SD 1.5's UNet (or any the builder makes) counted layer by layer, so a profile's time per operator can be read as achieved
 * TFLOP/s: a kernel at 30 % of peak and one at 80 % call for different work. Multiply-adds count as
 * two FLOPs; norms, activations and additions are left out (memory-bound, negligible in FLOPs).
 *
 * The architecture is diffusers' `UNet2DConditionModel` for SD 1.5: channels 320/640/1280/1280, two
 * ResNets per down block and three per up block, a Transformer2D (8 heads, a 1×1 conv in and out,
 * self- and cross-attention, GEGLU feed-forward) beside each ResNet of the first three levels and in
 * the middle, 77 text tokens of width 768.
 */
export interface UnetFlops {
  /** Convolutions: 3×3 in the ResNets, samplers and stem; 1×1 shortcuts and the transformers' proj in/out. */
  readonly conv: number;
  /** Dense projections: attention Q/K/V/out, feed-forward, time embedding (MatMul and Gemm nodes). */
  readonly linear: number;
  /** Attention itself: the score matrix and its product with V, self and cross. */
  readonly attention: number;
}

const TEXT_TOKENS = 77;

/**
 * FLOPs of one SD 1.5 UNet pass over one latent of `latentPx`² (64 for 512×512 images).
 *
 * @example
 * const f = sd15UnetFlops(64); // f.conv + f.linear + f.attention ≈ 0.80e12, issue 7's anchor
 */
export function sd15UnetFlops(latentPx: number): UnetFlops {
  return unetFlops(sd15UNet(), latentPx);
}

/**
 * FLOPs of one pass of any `UNet2DConditionModel` the builder makes (SD 1.5's, SDXL's: `sdxlUNet()`,
 * whose projections in and out are Linears and whose transformers stack `transformerLayersPerBlock`
 * blocks, with the `text_time` added embedding) over one latent of `latentPx`², with 77 text tokens.
 */
export function unetFlops(config: UNet2DConditionConfig, latentPx: number): UnetFlops {
  const levels = config.blockOutChannels.length;
  const halvings = 2 ** (levels - 1);
  if (!Number.isInteger(latentPx) || latentPx < halvings || latentPx % halvings !== 0)
    throw new Error(`latentPx: ${latentPx} is not a multiple of ${halvings} (${levels - 1} halvings)`);
  const channels = config.blockOutChannels;
  const c0 = channels[0] as number;
  const timeWidth = 4 * c0;
  const textWidth = config.crossAttentionDim;
  const count = { conv: 0, linear: 0, attention: 0 };
  const conv = (px: number, cin: number, cout: number, k: number) => {
    count.conv += 2 * px * px * cin * cout * k * k;
  };
  const resnet = (px: number, cin: number, cout: number) => {
    conv(px, cin, cout, 3);
    conv(px, cout, cout, 3);
    if (cin !== cout) conv(px, cin, cout, 1);
    count.linear += 2 * timeWidth * cout;
  };
  const transformer = (px: number, c: number, level: number) => {
    const tokens = px * px;
    // proj_in and proj_out: 1×1 convolutions (SD 1.x) or Linears (SD 2.x, XL), the same FLOPs
    if (config.useLinearProjection) count.linear += 2 * 2 * tokens * c * c;
    else for (let i = 0; i < 2; i++) conv(px, c, c, 1);
    for (let block = 0; block < (config.transformerLayersPerBlock[level] as number); block++) {
      // self-attention Q, K, V, out; cross-attention Q and out on the image tokens, K and V on the text
      count.linear += 2 * tokens * c * c * 6 + 2 * TEXT_TOKENS * textWidth * c * 2;
      count.linear += 2 * tokens * c * 8 * c + 2 * tokens * 4 * c * c; // GEGLU: c → 2·4c, then 4c → c
      // scores and weighted sum over every head: 2 · N · M · c each, M = N (self) or 77 (cross)
      count.attention += 2 * 2 * tokens * tokens * c + 2 * 2 * tokens * TEXT_TOKENS * c;
    }
  };

  count.linear += 2 * c0 * timeWidth + 2 * timeWidth * timeWidth; // time embedding
  if (config.addition !== undefined) {
    const { textEmbedDim, timeEmbedDim } = config.addition;
    count.linear += 2 * (textEmbedDim + 6 * timeEmbedDim) * timeWidth + 2 * timeWidth * timeWidth;
  }
  conv(latentPx, config.inChannels, c0, 3);
  const skips: { c: number; px: number }[] = [{ c: c0, px: latentPx }];
  let px = latentPx;
  let c = c0;
  channels.forEach((out, level) => {
    for (let i = 0; i < config.layersPerBlock; i++) {
      resnet(px, c, out);
      c = out;
      if (config.crossAttention[level]) transformer(px, c, level);
      skips.push({ c, px });
    }
    if (level < levels - 1) {
      conv(px / 2, c, c, 3); // stride-2 downsampler: its output grid
      px /= 2;
      skips.push({ c, px });
    }
  });
  resnet(px, c, c);
  transformer(px, c, levels - 1);
  resnet(px, c, c);
  [...channels].reverse().forEach((out, upLevel) => {
    const level = levels - 1 - upLevel;
    for (let i = 0; i < config.layersPerBlock + 1; i++) {
      const skip = skips.pop();
      if (skip === undefined || skip.px !== px) throw new Error("skip connections out of step");
      resnet(px, c + skip.c, out);
      c = out;
      if (config.crossAttention[level]) transformer(px, c, level);
    }
    if (upLevel < levels - 1) {
      px *= 2;
      conv(px, c, c, 3); // nearest ×2, then a 3×3 conv at the new size
    }
  });
  conv(px, c, config.outChannels, 3);
  return count;
}
