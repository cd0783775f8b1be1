import { attentionOp, toNchw, toNhwc } from "./fused-layers.ts";
import { GraphBuilder, type GraphOptions } from "./graph.ts";
import {
  attention,
  conv2d,
  groupNorm,
  isFused,
  type LayerContext,
  layerContext,
  linear,
  type OperatorSet,
} from "./nn.ts";
import { resnetBlock, upsampleNearest2x } from "./unet.ts";
import type { Weights } from "./weights.ts";

/** diffusers' `AutoencoderKL` config (models/autoencoders/autoencoder_kl.py), camelCase. */
export interface AutoencoderKLConfig {
  latentChannels: number;
  /** Per level from the image resolution down; SD's [128, 256, 512, 512]. */
  blockOutChannels: readonly number[];
  layersPerBlock: number;
  normNumGroups: number;
}

/** The VAE's GroupNorms all use eps 1e-6 (`resnet_eps=1e-6` in diffusers' vae.py). */
const VAE_EPS = 1e-6;

/**
 * How the encoder's output is exported: diffusers' script names it `latent_sample` (a sample of the
 * latent distribution; the tiny models give its mean, which is deterministic), optimum exports the
 * distribution's `latent_parameters` (mean and log-variance, 2·latent channels) for the pipeline to
 * sample with its generator.
 */
export type VaeEncoderOutput = "latent_sample" | "latent_parameters";

export interface VaeBuildOptions {
  /** Gain of the last conv, to keep a random tiny decoder's output inside [-1, 1]. */
  outGain?: number;
  /** Standard ONNX operators (default) or onnxruntime's fused CUDA ones (see `OperatorSet`). */
  operators?: OperatorSet;
}

/**
 * diffusers' `Encoder` then `quant_conv`: conv_in, down blocks of ResNets with stride-2 downsamplers
 * padded (0, 1, 0, 1) as `Downsample2D(padding=0)` pads, a mid block (ResNet, single-head attention,
 * ResNet), GroupNorm, SiLU, conv_out to mean and log-variance.
 */
export function buildVaeEncoder(
  weights: Weights,
  config: AutoencoderKLConfig,
  output: VaeEncoderOutput,
  graph: GraphOptions = {},
  options: VaeBuildOptions = {},
): Uint8Array {
  const g = new GraphBuilder("vae_encoder", graph);
  const ctx = layerContext(g, weights, options.operators);
  const { blockOutChannels: channels, normNumGroups: groups, latentChannels } = config;
  const image = g.input("sample", g.floatType, ["batch", 3, "height", "width"]);
  let current = channels[0] as number;
  let h = conv2d(ctx, isFused(ctx) ? toNhwc(ctx, image) : image, "encoder.conv_in", 3, current);
  channels.forEach((out, level) => {
    for (let j = 0; j < config.layersPerBlock; j++) {
      h = resnetBlock(
        ctx,
        h,
        `encoder.down_blocks.${level}.resnets.${j}`,
        current,
        out,
        groups,
        undefined,
        undefined,
        VAE_EPS,
      );
      current = out;
    }
    if (level < channels.length - 1)
      h = conv2d(ctx, h, `encoder.down_blocks.${level}.downsamplers.0.conv`, out, out, {
        stride: 2,
        pads: [0, 0, 1, 1],
      });
  });
  h = midBlock(ctx, h, "encoder.mid_block", current, groups);
  h = groupNorm(ctx, h, "encoder.conv_norm_out", current, groups, { epsilon: VAE_EPS, silu: true });
  h = conv2d(ctx, h, "encoder.conv_out", current, 2 * latentChannels);
  let moments = conv2d(ctx, h, "quant_conv", 2 * latentChannels, 2 * latentChannels, { kernel: 1 });
  if (isFused(ctx)) moments = toNchw(ctx, moments);
  const dims = [
    "batch",
    output === "latent_sample" ? latentChannels : 2 * latentChannels,
    "latent_height",
    "latent_width",
  ];
  if (output === "latent_parameters") {
    g.output(moments, g.floatType, dims, "latent_parameters");
  } else {
    const mean = g.node("Slice", [moments, g.int64s([0]), g.int64s([latentChannels]), g.int64s([1])]);
    g.output(mean, g.floatType, dims, "latent_sample");
  }
  return g.encode();
}

/**
 * `post_quant_conv` then diffusers' `Decoder`: conv_in, mid block, up blocks of layersPerBlock + 1
 * ResNets with nearest 2× upsampling and a conv, GroupNorm, SiLU, conv_out to RGB in about [-1, 1].
 */
export function buildVaeDecoderKL(
  weights: Weights,
  config: AutoencoderKLConfig,
  options: VaeBuildOptions = {},
  graph: GraphOptions = {},
): Uint8Array {
  const g = new GraphBuilder("vae_decoder", graph);
  const ctx = layerContext(g, weights, options.operators);
  const fused = isFused(ctx);
  const { normNumGroups: groups, latentChannels } = config;
  const reversed = [...config.blockOutChannels].reverse();
  const latent = g.input("latent_sample", g.floatType, [
    "batch",
    latentChannels,
    "latent_height",
    "latent_width",
  ]);
  let h = conv2d(
    ctx,
    fused ? toNhwc(ctx, latent) : latent,
    "post_quant_conv",
    latentChannels,
    latentChannels,
    {
      kernel: 1,
    },
  );
  let current = reversed[0] as number;
  h = conv2d(ctx, h, "decoder.conv_in", latentChannels, current);
  h = midBlock(ctx, h, "decoder.mid_block", current, groups);
  reversed.forEach((out, level) => {
    for (let j = 0; j <= config.layersPerBlock; j++) {
      h = resnetBlock(
        ctx,
        h,
        `decoder.up_blocks.${level}.resnets.${j}`,
        current,
        out,
        groups,
        undefined,
        undefined,
        VAE_EPS,
      );
      current = out;
    }
    if (level < reversed.length - 1)
      h = conv2d(
        ctx,
        upsampleNearest2x(g, h, fused),
        `decoder.up_blocks.${level}.upsamplers.0.conv`,
        out,
        out,
      );
  });
  h = groupNorm(ctx, h, "decoder.conv_norm_out", current, groups, { epsilon: VAE_EPS, silu: true });
  h = conv2d(ctx, h, "decoder.conv_out", current, 3, { gain: options.outGain ?? 1 });
  if (fused) h = toNchw(ctx, h);
  g.output(h, g.floatType, ["batch", 3, "height", "width"], "sample");
  return g.encode();
}

/** `UNetMidBlock2D` as the VAE has it: ResNet, one-head self-attention over the pixels, ResNet. */
function midBlock(ctx: LayerContext, x: string, name: string, channels: number, groups: number): string {
  const { g } = ctx;
  let h = resnetBlock(ctx, x, `${name}.resnets.0`, channels, channels, groups, undefined, undefined, VAE_EPS);
  const normed = groupNorm(ctx, h, `${name}.attentions.0.group_norm`, channels, groups, { epsilon: VAE_EPS });
  const attentionName = `${name}.attentions.0`;
  let spatial: string;
  if (isFused(ctx)) {
    // NHWC pixels are tokens already; one `Attention` op as FusionAttentionVae writes it.
    const tokens = g.node("Reshape", [normed, g.int64s([0, -1, channels])]);
    const heads = attentionOp(ctx, tokens, attentionName, channels, { heads: 1 });
    const attended = linear(ctx, heads, `${attentionName}.to_out.0`, channels, channels);
    spatial = g.node("Reshape", [attended, g.node("Shape", [h])]);
  } else {
    const tokens = g.node("Transpose", [g.node("Reshape", [normed, g.int64s([0, channels, -1])])], {
      perm: [0, 2, 1],
    });
    const attended = attention(ctx, tokens, tokens, attentionName, channels, { heads: 1, bias: true });
    spatial = g.node("Reshape", [g.node("Transpose", [attended], { perm: [0, 2, 1] }), g.node("Shape", [h])]);
  }
  h = g.node("Add", [spatial, h]);
  return resnetBlock(ctx, h, `${name}.resnets.1`, channels, channels, groups, undefined, undefined, VAE_EPS);
}
