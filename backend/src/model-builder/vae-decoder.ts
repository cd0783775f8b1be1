import { GraphBuilder } from "./graph.ts";
import { conv2d, groupNorm, type LayerContext } from "./nn.ts";
import { resnetBlock, upsampleNearest2x } from "./unet.ts";
import type { WeightSource } from "./weights.ts";

export interface VaeDecoderShape {
  latentChannels: number;
  /** Channels at the latent resolution and after each of the three 2× upsamples. */
  channels: readonly [number, number, number, number];
  groups: number;
  outGain: number;
}

/**
 * An `AutoencoderKL` decoder in miniature: post_quant_conv, conv_in, a ResNet block, three nearest 2×
 * upsamples each followed by a conv and a ResNet block, GroupNorm + SiLU, conv_out to RGB. Output is
 * roughly in [-1, 1]; pipelines clamp it.
 */
export function buildVaeDecoder(weights: WeightSource, shape: VaeDecoderShape): Uint8Array {
  const g = new GraphBuilder("vae_decoder");
  const ctx: LayerContext = { g, weights };
  const { latentChannels, channels, groups } = shape;
  const latent = g.input("latent_sample", "float", ["batch", latentChannels, "height", "width"]);
  let x = conv2d(ctx, latent, "post_quant_conv", latentChannels, latentChannels, { kernel: 1 });
  x = conv2d(ctx, x, "decoder.conv_in", latentChannels, channels[0]);
  x = resnetBlock(ctx, x, "decoder.mid_block.resnets.0", channels[0], channels[0], groups);
  for (let level = 0; level < 3; level++) {
    const cin = channels[level] as number;
    const cout = channels[level + 1] as number;
    x = conv2d(ctx, upsampleNearest2x(g, x), `decoder.up_blocks.${level}.upsamplers.0.conv`, cin, cin);
    x = resnetBlock(ctx, x, `decoder.up_blocks.${level}.resnets.0`, cin, cout, groups);
  }
  const last = channels[3];
  x = groupNorm(ctx, x, "decoder.conv_norm_out", last, groups, { epsilon: 1e-6, silu: true });
  x = conv2d(ctx, x, "decoder.conv_out", last, 3, { gain: shape.outGain });
  g.output(x, "float", ["batch", 3, "image_height", "image_width"], "sample");
  return g.encode();
}
