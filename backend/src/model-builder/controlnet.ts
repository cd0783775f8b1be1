import { toNchw, toNhwc } from "./fused-layers.ts";
import { GraphBuilder as Graph, type GraphOptions } from "./graph.ts";
import { conv2d, type LayerContext, silu } from "./nn.ts";
import {
  encoderBlocks,
  midBlock,
  NETWORK_METADATA_KEY,
  skipShapes,
  spatialDims,
  type UNet2DConditionConfig,
  type UNetBuildOptions,
  unetTrunk,
} from "./unet-2d-condition.ts";
import type { TensorRequest, Weights } from "./weights.ts";

/**
 * The graph interfaces, as onnx-web (ssube/onnx-web) exports and runs them:
 *
 * - ControlNet (`api/onnx_web/convert/diffusion/control.py`, `ControlNetModel` through
 *   `torch.onnx.export`): inputs `sample` [batch, 4, h, w], `timestep` float [batch],
 *   `encoder_hidden_states` [batch, sequence, 768], `controlnet_cond` [batch, 3, 8h, 8w] (the control
 *   image in [0, 1]); outputs the 12 down residuals then the mid residual. onnx-web names only the first
 *   two outputs (`down_block_res_samples`, `mid_block_res_sample`, the rest keep torch's numbers) and
 *   reads them by position (`blocksamples[0:12]`, `blocksamples[12]` in
 *   `api/onnx_web/diffusers/pipelines/controlnet.py`), so a loader must go by position; this builder
 *   names them `down_block_0`…`down_block_11`, `mid_block_res_sample`, in that order.
 * - The UNet that takes them (`api/onnx_web/convert/diffusion/diffusion.py`, written to `cnet/` beside
 *   `unet/`): `sample`, `timestep`, `encoder_hidden_states`, `down_block_0`…`down_block_11`,
 *   `mid_block_additional_residual`; output `out_sample`. The pipeline scales the residuals by
 *   `controlnet_conditioning_scale` itself, outside both graphs.
 */
export const CONTROLNET_INPUTS = ["sample", "timestep", "encoder_hidden_states", "controlnet_cond"] as const;
export const MID_RESIDUAL_OUTPUT = "mid_block_res_sample";
export const MID_RESIDUAL_INPUT = "mid_block_additional_residual";
export const downResidualName = (index: number) => `down_block_${index}`;

/**
 * diffusers' `ControlNetModel` config (models/controlnets/controlnet.py): the UNet encoder it copies
 * plus the conditioning image's embedding.
 */
export interface ControlNetConfig {
  unet: UNet2DConditionConfig;
  /** `conditioning_channels`: 3 for an RGB control image. */
  conditioningChannels: number;
  /** `conditioning_embedding_out_channels`: (16, 32, 96, 256) in every SD ControlNet. */
  conditioningEmbeddingChannels: readonly number[];
}

export const SD15_CONDITIONING_EMBEDDING_CHANNELS = [16, 32, 96, 256] as const;

export interface ControlNetBuildOptions extends Pick<UNetBuildOptions, "timestep" | "operators" | "tiny"> {
  /** The gain of the zero convolutions' random weights (a real checkpoint's weights are taken as they are). */
  zeroConvGain?: number;
}

/**
 * A `ControlNetModel` forward pass (SD 1.x/2.x): the UNet's time embedding and conv_in, plus
 * `controlnet_cond_embedding` of the control image (conv_in, then pairs of 3×3 convolutions, every
 * second one stride 2, SiLU after each, and conv_out to the UNet's first width), added to conv_in's
 * output; then the UNet's down blocks and mid block, and a 1×1 convolution on each of their outputs
 * (`controlnet_down_blocks.<i>`, `controlnet_mid_block`). `guess_mode` off, `conditioning_scale` 1: the
 * pipeline scales the outputs.
 */
export function buildControlNet(
  weights: Weights,
  config: ControlNetConfig,
  options: ControlNetBuildOptions = {},
  graph: GraphOptions = {},
): Uint8Array {
  const g = new Graph("controlnet", graph);
  const trunk = unetTrunk(g, weights, config.unet, options);
  const { ctx, fused } = trunk;
  const cond = g.input("controlnet_cond", g.floatType, [
    "batch",
    config.conditioningChannels,
    "image_height",
    "image_width",
  ]);
  const embedded = conditioningEmbedding(ctx, fused ? toNhwc(ctx, cond) : cond, config, trunk.channels0);
  const h = g.node("Add", [
    conv2d(ctx, trunk.sampleIn, "conv_in", config.unet.inChannels, trunk.channels0),
    embedded,
  ]);
  const encoded = encoderBlocks(trunk, h);
  const mid = midBlock(trunk, encoded.h);

  const gain = options.zeroConvGain ?? 1;
  const zeroConv = (x: string, name: string, channels: number) => {
    const out = conv2d(ctx, x, name, channels, channels, { kernel: 1, gain });
    return fused ? toNchw(ctx, out) : out;
  };
  encoded.skips.forEach((skip, i) => {
    const out = zeroConv(skip.value, `controlnet_down_blocks.${i}`, skip.channels);
    g.output(out, g.floatType, spatialDims(skip.channels, skip.downscale), downResidualName(i));
  });
  const levels = config.unet.blockOutChannels.length;
  const midChannels = config.unet.blockOutChannels[levels - 1] as number;
  const lowest = skipShapes(config.unet).at(-1)?.downscale ?? 1;
  g.output(
    zeroConv(mid, "controlnet_mid_block", midChannels),
    g.floatType,
    spatialDims(midChannels, lowest),
    MID_RESIDUAL_OUTPUT,
  );
  g.metadata(NETWORK_METADATA_KEY, "controlnet");
  return g.encode();
}

/** `ControlNetConditioningEmbedding`: the control image down to the latents' size and the UNet's width. */
function conditioningEmbedding(
  ctx: LayerContext,
  image: string,
  config: ControlNetConfig,
  outChannels: number,
): string {
  const widths = config.conditioningEmbeddingChannels;
  const name = "controlnet_cond_embedding";
  let h = silu(ctx, conv2d(ctx, image, `${name}.conv_in`, config.conditioningChannels, widths[0] as number));
  for (let i = 0; i < widths.length - 1; i++) {
    const cin = widths[i] as number;
    const cout = widths[i + 1] as number;
    h = silu(ctx, conv2d(ctx, h, `${name}.blocks.${2 * i}`, cin, cin));
    h = silu(ctx, conv2d(ctx, h, `${name}.blocks.${2 * i + 1}`, cin, cout, { stride: 2 }));
  }
  return conv2d(ctx, h, `${name}.conv_out`, widths[widths.length - 1] as number, outChannels);
}

/** The tensors diffusers creates with `zero_module`: zero in a freshly initialised ControlNet. */
export function isZeroInitialized(name: string): boolean {
  return (
    name.startsWith("controlnet_down_blocks.") ||
    name.startsWith("controlnet_mid_block.") ||
    name.startsWith("controlnet_cond_embedding.conv_out.")
  );
}

/**
 * `weights` with the zero convolutions zero, as `ControlNetModel.from_unet` leaves a new ControlNet:
 * its residuals are exactly zero, whatever the input.
 */
export class FreshControlNetWeights implements Weights {
  readonly #weights: Weights;

  constructor(weights: Weights) {
    this.#weights = weights;
  }

  normal(name: string, count: number, std: number, tensor: TensorRequest): Float32Array {
    return isZeroInitialized(name) ? new Float32Array(count) : this.#weights.normal(name, count, std, tensor);
  }
}
