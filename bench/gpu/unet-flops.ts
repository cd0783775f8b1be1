/**
 * SD 1.5's UNet counted layer by layer, so a profile's time per operator can be read as achieved
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

const CHANNELS = [320, 640, 1280, 1280] as const;
const HEADS = 8;
const TEXT_TOKENS = 77;
const TEXT_WIDTH = 768;
const TIME_WIDTH = 1280;

/**
 * FLOPs of one UNet pass over one latent of `latentPx`² (64 for 512×512 images).
 *
 * @example
 * const f = sd15UnetFlops(64); // f.conv + f.linear + f.attention ≈ 0.80e12, issue 7's anchor
 */
export function sd15UnetFlops(latentPx: number): UnetFlops {
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
  const transformer = (px: number, c: number) => {
    const tokens = px * px;
    conv(px, c, c, 1); // proj_in
    conv(px, c, c, 1); // proj_out
    // self-attention Q, K, V, out; cross-attention Q and out on the image tokens, K and V on the text
    count.linear += 2 * tokens * c * c * 6 + 2 * TEXT_TOKENS * TEXT_WIDTH * c * 2;
    count.linear += 2 * tokens * c * 8 * c + 2 * tokens * 4 * c * c; // GEGLU: c → 2·4c, then 4c → c
    // scores and weighted sum over every head: 2 · N · M · c each, M = N (self) or 77 (cross)
    count.attention += 2 * 2 * tokens * tokens * c + 2 * 2 * tokens * TEXT_TOKENS * c;
  };
  if (!Number.isInteger(latentPx) || latentPx < 8 || latentPx % 8 !== 0)
    throw new Error(`latentPx: ${latentPx} is not a multiple of 8 (three halvings)`);
  if (CHANNELS.some((c) => c % HEADS !== 0)) throw new Error("channels must split into heads");

  count.linear += 2 * 320 * TIME_WIDTH + 2 * TIME_WIDTH * TIME_WIDTH; // time embedding
  conv(latentPx, 4, CHANNELS[0], 3);
  const skips: { c: number; px: number }[] = [{ c: CHANNELS[0], px: latentPx }];
  let px = latentPx;
  let c: number = CHANNELS[0];
  CHANNELS.forEach((out, level) => {
    for (let i = 0; i < 2; i++) {
      resnet(px, c, out);
      c = out;
      if (level < 3) transformer(px, c);
      skips.push({ c, px });
    }
    if (level < 3) {
      conv(px / 2, c, c, 3); // stride-2 downsampler: its output grid
      px /= 2;
      skips.push({ c, px });
    }
  });
  resnet(px, c, c);
  transformer(px, c);
  resnet(px, c, c);
  [...CHANNELS].reverse().forEach((out, upLevel) => {
    for (let i = 0; i < 3; i++) {
      const skip = skips.pop();
      if (skip === undefined || skip.px !== px) throw new Error("skip connections out of step");
      resnet(px, c + skip.c, out);
      c = out;
      if (upLevel > 0) transformer(px, c);
    }
    if (upLevel < 3) {
      px *= 2;
      conv(px, c, c, 3); // nearest ×2, then a 3×3 conv at the new size
    }
  });
  conv(px, c, 4, 3);
  return count;
}
