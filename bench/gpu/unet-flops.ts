/**
 * SD 1.5's and SDXL's UNets counted layer by layer, so a profile's time per operator can be read as achieved
 * TFLOP/s: a kernel at 30 % of peak and one at 80 % call for different work. Multiply-adds count as
 * two FLOPs; norms, activations and additions are left out (memory-bound, negligible in FLOPs).
 *
 * The architecture is diffusers' `UNet2DConditionModel`: two ResNets per down block and three per up
 * block, Transformer2D blocks (a 1×1 conv in and out, self- and cross-attention, GEGLU feed-forward)
 * beside each ResNet of the levels that have them and in the middle, 77 text tokens; {@link UnetShape}
 * says how many of what (SD 1.5: 320/640/1280/1280, one block at the first three levels, text 768 wide).
 */
export interface UnetFlops {
  /** Convolutions: 3×3 in the ResNets, samplers and stem; 1×1 shortcuts and the transformers' proj in/out. */
  readonly conv: number;
  /** Dense projections: attention Q/K/V/out, feed-forward, time embedding (MatMul and Gemm nodes). */
  readonly linear: number;
  /** Attention itself: the score matrix and its product with V, self and cross. */
  readonly attention: number;
}

/** The parts of diffusers' `UNet2DConditionModel` config that the count depends on. */
export interface UnetShape {
  /** `block_out_channels`. */
  readonly channels: readonly number[];
  /** Transformer blocks beside each ResNet, per level (`transformer_layers_per_block`; 0: no attention). */
  readonly depths: readonly number[];
  /** The middle block's transformer blocks. */
  readonly midDepth: number;
  /** `cross_attention_dim`: the text states' width. */
  readonly textWidth: number;
  /** SDXL's `add_embedding` input width (`text_embeds` + six sinusoids of `time_ids`), 0 without one. */
  readonly addedEmbeddingWidth: number;
}

/** SD 1.5 (`runwayml/stable-diffusion-v1-5/unet/config.json`). */
export const SD15_UNET: UnetShape = {
  channels: [320, 640, 1280, 1280],
  depths: [1, 1, 1, 0],
  midDepth: 1,
  textWidth: 768,
  addedEmbeddingWidth: 0,
};

/**
 * SDXL base (`stabilityai/stable-diffusion-xl-base-1.0/unet/config.json`): three levels, no attention
 * at the top, 2 and 10 transformer blocks below and 10 in the middle, text 2048 wide,
 * `add_embedding` from 1280 + 6 × 256.
 */
export const SDXL_UNET: UnetShape = {
  channels: [320, 640, 1280],
  depths: [0, 2, 10],
  midDepth: 10,
  textWidth: 2048,
  addedEmbeddingWidth: 1280 + 6 * 256,
};

const TEXT_TOKENS = 77;
const TIME_WIDTH = 1280;

/**
 * FLOPs of one SD 1.5 UNet pass over one latent of `latentPx`² (64 for 512×512 images).
 *
 * @example
 * const f = sd15UnetFlops(64); // f.conv + f.linear + f.attention ≈ 0.80e12, issue 7's anchor
 */
export function sd15UnetFlops(latentPx: number): UnetFlops {
  return unetFlops(SD15_UNET, latentPx);
}

/**
 * FLOPs of one UNet pass of `shape` over one latent of `latentPx`² (128 for SDXL's 1024×1024).
 *
 * @example
 * const f = unetFlops(SDXL_UNET, 128);
 */
export function unetFlops(shape: UnetShape, latentPx: number): UnetFlops {
  const levels = shape.channels.length;
  const count = { conv: 0, linear: 0, attention: 0 };
  const conv = (px: number, cin: number, cout: number, k: number) => {
    count.conv += 2 * px * px * cin * cout * k * k;
  };
  const resnet = (px: number, cin: number, cout: number) => {
    conv(px, cin, cout, 3);
    conv(px, cout, cout, 3);
    if (cin !== cout) conv(px, cin, cout, 1);
    count.linear += 2 * TIME_WIDTH * cout;
  };
  const transformer = (px: number, c: number, depth: number) => {
    if (depth === 0) return;
    const tokens = px * px;
    conv(px, c, c, 1); // proj_in (SDXL's linear projection costs the same)
    conv(px, c, c, 1); // proj_out
    for (let block = 0; block < depth; block++) {
      // self-attention Q, K, V, out; cross-attention Q and out on the image tokens, K and V on the text
      count.linear += 2 * tokens * c * c * 6 + 2 * TEXT_TOKENS * shape.textWidth * c * 2;
      count.linear += 2 * tokens * c * 8 * c + 2 * tokens * 4 * c * c; // GEGLU: c → 2·4c, then 4c → c
      // scores and weighted sum over every head: 2 · N · M · c each, M = N (self) or 77 (cross)
      count.attention += 2 * 2 * tokens * tokens * c + 2 * 2 * tokens * TEXT_TOKENS * c;
    }
  };
  const halvings = 2 ** (levels - 1);
  if (!Number.isInteger(latentPx) || latentPx < halvings || latentPx % halvings !== 0)
    throw new Error(`latentPx: ${latentPx} is not a multiple of ${halvings} (${levels - 1} halvings)`);
  const first = shape.channels[0] as number;

  count.linear += 2 * first * TIME_WIDTH + 2 * TIME_WIDTH * TIME_WIDTH; // time embedding
  if (shape.addedEmbeddingWidth > 0)
    count.linear += 2 * shape.addedEmbeddingWidth * TIME_WIDTH + 2 * TIME_WIDTH * TIME_WIDTH;
  conv(latentPx, 4, first, 3);
  const skips: { c: number; px: number }[] = [{ c: first, px: latentPx }];
  let px = latentPx;
  let c = first;
  shape.channels.forEach((out, level) => {
    for (let i = 0; i < 2; i++) {
      resnet(px, c, out);
      c = out;
      transformer(px, c, shape.depths[level] ?? 0);
      skips.push({ c, px });
    }
    if (level < levels - 1) {
      conv(px / 2, c, c, 3); // stride-2 downsampler: its output grid
      px /= 2;
      skips.push({ c, px });
    }
  });
  resnet(px, c, c);
  transformer(px, c, shape.midDepth);
  resnet(px, c, c);
  [...shape.channels].reverse().forEach((out, upLevel) => {
    const depth = shape.depths[levels - 1 - upLevel] ?? 0;
    for (let i = 0; i < 3; i++) {
      const skip = skips.pop();
      if (skip === undefined || skip.px !== px) throw new Error("skip connections out of step");
      resnet(px, c + skip.c, out);
      c = out;
      transformer(px, c, depth);
    }
    if (upLevel < levels - 1) {
      px *= 2;
      conv(px, c, c, 3); // nearest ×2, then a 3×3 conv at the new size
    }
  });
  conv(px, c, 4, 3);
  return count;
}
