import onnx from "onnx-proto";
import { Tensor } from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { expandCudaOnlyOps } from "./contrib-reference.ts";
import { buildControlNet, FreshControlNetWeights, MID_RESIDUAL_OUTPUT } from "./controlnet.ts";
import { exposeValues, pairedSkips } from "./controlnet-reference.ts";
import type { OperatorSet } from "./nn.ts";
import { gaussian, runUnoptimized } from "./ort-test-support.ts";
import { TINY_SDXL_CONTROLNET } from "./tiny-controlnet.ts";
import { buildUNet2DCondition } from "./unet-2d-condition.ts";
import { WeightSource } from "./weights.ts";

/**
 * SDXL's ControlNet (`addition_embed_type: "text_time"`) and residual UNet in the tiny SDXL ControlNet
 * model's block layout (three levels, two layers each, no attention at the top): nine down residuals
 * and a mid one, and the added time embedding read from `text_embeds` and `time_ids` in both graphs.
 */
const CONFIG = TINY_SDXL_CONTROLNET;
const H = 8;
const W = 8;
const DOWN = Array.from({ length: 9 }, (_, i) => `down_block_${i}`);
const addition = CONFIG.unet.addition as { textEmbedDim: number };

const freshControlNet = () =>
  buildControlNet(new FreshControlNetWeights(new WeightSource(3)), CONFIG, { zeroConvGain: 0.5 });
const residualUNet = () => buildUNet2DCondition(new WeightSource(3), CONFIG.unet, { controlResiduals: true });

const run = runUnoptimized;

const common = () => ({
  sample: new Tensor("float32", gaussian(4 * H * W, 1), [1, 4, H, W]),
  timestep: new Tensor("float32", new Float32Array([321]), [1]),
  encoder_hidden_states: new Tensor("float32", gaussian(77 * CONFIG.unet.crossAttentionDim, 2), [
    1,
    77,
    CONFIG.unet.crossAttentionDim,
  ]),
  text_embeds: new Tensor("float32", gaussian(addition.textEmbedDim, 5), [1, addition.textEmbedDim]),
  time_ids: new Tensor("float32", new Float32Array([64, 64, 0, 0, 64, 64]), [1, 6]),
});
const image = () =>
  new Tensor(
    "float32",
    gaussian(3 * 64 * H * W, 4).map((v) => (v > 0 ? 1 : 0)),
    [1, 3, 8 * H, 8 * W],
  );
const zerosLike = (t: Tensor) => new Tensor("float32", new Float32Array(t.size), t.dims);

describe("the SDXL ControlNet graph (tiny SDXL layout)", () => {
  it("takes text_embeds and time_ids and returns nine down residuals and a mid residual", async () => {
    const model = freshControlNet();
    const inputs = (onnx.onnx.ModelProto.decode(model).graph?.input ?? []).map((i) => i.name);
    expect(inputs).toEqual([
      "sample",
      "timestep",
      "encoder_hidden_states",
      "text_embeds",
      "time_ids",
      "controlnet_cond",
    ]);
    const out = await run(model, { ...common(), controlnet_cond: image() });
    expect(Object.keys(out)).toEqual([...DOWN, MID_RESIDUAL_OUTPUT]);
    // SDXL's skips: conv_in and two ResNets at 1×, a downsampler and two ResNets at 2× and at 4×
    expect(DOWN.map((name) => out[name]?.dims.slice(1))).toEqual([
      [16, 8, 8],
      [16, 8, 8],
      [16, 8, 8],
      [16, 4, 4],
      [32, 4, 4],
      [32, 4, 4],
      [32, 2, 2],
      [32, 2, 2],
      [32, 2, 2],
    ]);
  });

  it("runs the SDXL UNet's encoder, added time embedding included: with a zero embedding its skips are the UNet's", async () => {
    const fresh = freshControlNet();
    const unet = residualUNet();
    const { control: controlSkips, unet: unetSkips } = pairedSkips(fresh, unet, DOWN.length);
    const feeds = { ...common(), controlnet_cond: image() };
    const zeros = await run(fresh, feeds);
    const fromControl = await run(exposeValues(fresh, controlSkips), feeds);
    const fromUNet = await run(exposeValues(unet, unetSkips), {
      ...common(),
      ...Object.fromEntries(DOWN.map((name) => [name, zeros[name] as Tensor])),
      mid_block_additional_residual: zeros[MID_RESIDUAL_OUTPUT] as Tensor,
    });
    for (const [i, value] of controlSkips.entries()) {
      const control = fromControl[value]?.data as Float32Array;
      const fromUnet = fromUNet[unetSkips[i] as string]?.data as Float32Array;
      expect(control.length, `skip ${i}`).toBeGreaterThan(0);
      expect(control, `skip ${i}`).toEqual(fromUnet);
    }
    // the added embedding matters: other size ids give other skips
    const otherIds = await run(exposeValues(fresh, controlSkips), {
      ...feeds,
      time_ids: new Tensor("float32", new Float32Array([128, 96, 8, 0, 64, 64]), [1, 6]),
    });
    expect(otherIds[controlSkips[1] as string]?.data).not.toEqual(
      fromControl[controlSkips[1] as string]?.data,
    );
  });
});

describe("the SDXL UNet taking ControlNet residuals (tiny SDXL layout)", () => {
  it("takes nine down residuals and equals the plain UNet exactly when every residual is zero", async () => {
    const residuals = await run(freshControlNet(), { ...common(), controlnet_cond: image() });
    const zeros = Object.fromEntries(
      Object.entries(residuals).map(([name, t]) => [
        name === MID_RESIDUAL_OUTPUT ? "mid_block_additional_residual" : name,
        zerosLike(t),
      ]),
    );
    const plain = await run(buildUNet2DCondition(new WeightSource(3), CONFIG.unet), common());
    const withZeros = await run(residualUNet(), { ...common(), ...zeros });
    expect(withZeros.out_sample?.data).toEqual(plain.out_sample?.data);
  });
});

describe("the fused SDXL ControlNet", () => {
  it("equals the standard graph (CUDA-only ops expanded), added time embedding included", async () => {
    const build = (operators: OperatorSet) =>
      buildControlNet(new WeightSource(3), CONFIG, { operators, zeroConvGain: 0.5 });
    const feeds = { ...common(), controlnet_cond: image() };
    const standard = await run(build("standard"), feeds);
    const fused = await run(expandCudaOnlyOps(build("fused")), feeds);
    for (const [name, tensor] of Object.entries(standard)) {
      const expected = tensor.data as Float32Array;
      const actual = fused[name]?.data as Float32Array;
      const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const worst = expected.reduce((m, v, i) => Math.max(m, Math.abs(v - (actual[i] as number))), 0);
      expect(scale, name).toBeGreaterThan(0);
      expect(worst / scale, name).toBeLessThan(1e-4);
    }
  });
});
