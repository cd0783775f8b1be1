import onnx from "onnx-proto";
import { Tensor } from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { expandCudaOnlyOps } from "./contrib-reference.ts";
import { buildControlNet, FreshControlNetWeights, MID_RESIDUAL_OUTPUT } from "./controlnet.ts";
import {
  addendOf,
  addReference,
  conditioningEmbeddingReference,
  exposeValues,
  inputBeside,
  namedConv,
  outputOf,
  pairedSkips,
  type ReferenceTensor,
  readInitializers,
} from "./controlnet-reference.ts";
import type { OperatorSet } from "./nn.ts";
import { gaussian, runUnoptimized } from "./ort-test-support.ts";
import { sd15ControlNet } from "./sd15-architecture.ts";
import { buildUNet2DCondition, NETWORK_METADATA_KEY } from "./unet-2d-condition.ts";
import { WeightSource, type Weights } from "./weights.ts";

/**
 * SD 1.5's ControlNet and residual UNet at widths ÷ 8, float32, on the CPU provider: the ControlNet's
 * own layers against a plain-loop reference (controlnet-reference.ts) fed the graph's inner values,
 * its encoder against the UNet's, and the fused graphs against the standard ones.
 */
const DIVISOR = 8;
const CONFIG = sd15ControlNet(DIVISOR);
const H = 8;
const W = 8;
const CONTEXT = CONFIG.unet.crossAttentionDim;
const DOWN = Array.from({ length: 12 }, (_, i) => `down_block_${i}`);

/** A ControlNet trained a little: its own layers random (non-zero), its encoder the UNet's. */
const trained = (): Weights => new WeightSource(3);
const controlnet = (weights: Weights, operators: OperatorSet = "standard") =>
  buildControlNet(weights, CONFIG, { operators, zeroConvGain: 0.5 });
const residualUNet = (operators: OperatorSet = "standard") =>
  buildUNet2DCondition(new WeightSource(3), CONFIG.unet, { operators, controlResiduals: true });

/** Built once per file: the graphs take a second or two each. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
}
const trainedControlNet = once(() => controlnet(trained()));
const freshControlNet = once(() => controlnet(new FreshControlNetWeights(trained())));
const standardResidualUNet = once(() => residualUNet());

/** The trained ControlNet's residuals for `common()` and `image()`, keyed as the residual UNet's inputs. */
const residualFeeds = once(async () => {
  const out = await run(trainedControlNet(), { ...common(), controlnet_cond: image() });
  return Object.fromEntries(
    Object.entries(out).map(([name, t]) => [
      name === MID_RESIDUAL_OUTPUT ? "mid_block_additional_residual" : name,
      t,
    ]),
  );
});

const run = runUnoptimized;

const tensorOf = (t: Tensor | undefined): ReferenceTensor => {
  if (t === undefined) throw new Error("missing output");
  return { dims: [...t.dims], data: t.data as Float32Array };
};

function expectClose(actual: ReferenceTensor, expected: ReferenceTensor, relative: number, what: string) {
  expect(actual.dims, what).toEqual(expected.dims);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.data.length; i++) {
    worst = Math.max(worst, Math.abs((actual.data[i] as number) - (expected.data[i] as number)));
    scale = Math.max(scale, Math.abs(expected.data[i] as number));
  }
  expect(scale, what).toBeGreaterThan(0);
  expect(worst / scale, what).toBeLessThan(relative);
}

const common = () => ({
  sample: new Tensor("float32", gaussian(4 * H * W, 1), [1, 4, H, W]),
  timestep: new Tensor("float32", new Float32Array([321]), [1]),
  encoder_hidden_states: new Tensor("float32", gaussian(77 * CONTEXT, 2), [1, 77, CONTEXT]),
});
const image = () =>
  new Tensor(
    "float32",
    gaussian(3 * 64 * H * W, 4).map((v) => (v > 0 ? 1 : 0)),
    [1, 3, 8 * H, 8 * W],
  );

describe("the SD 1.5 ControlNet graph (widths ÷ 8)", () => {
  it("holds diffusers' ControlNet parameters: conditioning embedding, 12 down and 1 mid zero convolution", () => {
    const names = new Set(
      (onnx.onnx.ModelProto.decode(trainedControlNet()).graph?.initializer ?? []).map((i) => i.name),
    );
    for (const name of [
      "controlnet_cond_embedding.conv_in.weight",
      ...Array.from({ length: 6 }, (_, i) => `controlnet_cond_embedding.blocks.${i}.weight`),
      "controlnet_cond_embedding.conv_out.weight",
      ...DOWN.map((_, i) => `controlnet_down_blocks.${i}.weight`),
      "controlnet_mid_block.weight",
      "down_blocks.3.resnets.1.conv2.weight",
      "mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight",
    ])
      expect(names.has(name), name).toBe(true);
    expect([...names].some((n) => n?.startsWith("up_blocks.") || n?.startsWith("conv_out."))).toBe(false);
    const metadata = onnx.onnx.ModelProto.decode(trainedControlNet()).metadataProps ?? [];
    expect(metadata).toEqual([expect.objectContaining({ key: NETWORK_METADATA_KEY, value: "controlnet" })]);
  });

  it("matches the plain-loop reference: embedding + conv_in into the encoder, zero convolutions out of it", async () => {
    const model = trainedControlNet();
    const weights = readInitializers(model);
    const skipValues = DOWN.map((_, i) => inputBeside(model, `controlnet_down_blocks.${i}.weight`));
    const midValue = inputBeside(model, "controlnet_mid_block.weight");
    const convIn = outputOf(model, "conv_in.weight");
    const embedded = outputOf(model, "controlnet_cond_embedding.conv_out.weight");
    const feeds = { ...common(), controlnet_cond: image() };
    const out = await run(exposeValues(model, [...skipValues, midValue, convIn, embedded]), feeds);

    const embedding = conditioningEmbeddingReference(weights, tensorOf(feeds.controlnet_cond));
    expectClose(tensorOf(out[embedded]), embedding, 1e-5, "controlnet_cond_embedding");
    const conv = namedConv(weights, tensorOf(feeds.sample), "conv_in");
    expectClose(tensorOf(out[skipValues[0] as string]), addReference(conv, embedding), 1e-5, "first skip");
    for (const [i, skip] of skipValues.entries())
      expectClose(
        tensorOf(out[`down_block_${i}`]),
        namedConv(weights, tensorOf(out[skip]), `controlnet_down_blocks.${i}`),
        1e-5,
        `down_block_${i}`,
      );
    expectClose(
      tensorOf(out[MID_RESIDUAL_OUTPUT]),
      namedConv(weights, tensorOf(out[midValue]), "controlnet_mid_block"),
      1e-5,
      "mid",
    );
  });

  it("runs the UNet's encoder: with a zero embedding its skips and mid output are the UNet's", async () => {
    const fresh = freshControlNet();
    const unet = standardResidualUNet();
    const { control: controlSkips, unet: unetSkips } = pairedSkips(fresh, unet, DOWN.length);
    const feeds = common();
    const zeros = (await run(fresh, { ...feeds, controlnet_cond: image() })) as Record<string, Tensor>;
    const fromControl = await run(exposeValues(fresh, controlSkips), { ...feeds, controlnet_cond: image() });
    const fromUNet = await run(exposeValues(unet, unetSkips), {
      ...feeds,
      ...Object.fromEntries(DOWN.map((name) => [name, zeros[name] as Tensor])),
      mid_block_additional_residual: zeros[MID_RESIDUAL_OUTPUT] as Tensor,
    });
    for (const [i, value] of controlSkips.entries())
      expectClose(
        tensorOf(fromControl[value]),
        tensorOf(fromUNet[unetSkips[i] as string]),
        1e-6,
        `skip ${i}`,
      );
  });

  it("gives exactly zero residuals with its zero convolutions as diffusers initialises them", async () => {
    const out = await run(freshControlNet(), {
      ...common(),
      controlnet_cond: image(),
    });
    expect(Object.keys(out)).toEqual([...DOWN, MID_RESIDUAL_OUTPUT]);
    for (const [name, tensor] of Object.entries(out))
      expect(
        (tensor.data as Float32Array).every((v) => v === 0),
        name,
      ).toBe(true);
  });
});

describe("the SD 1.5 UNet taking ControlNet residuals (widths ÷ 8)", () => {
  it("equals the plain UNet exactly when every residual is zero", async () => {
    const feeds = common();
    const zeros = Object.fromEntries(
      Object.entries(await residualFeeds()).map(([name, t]) => [
        name,
        new Tensor("float32", new Float32Array(t.size), t.dims),
      ]),
    );
    const plain = await run(buildUNet2DCondition(new WeightSource(3), CONFIG.unet), feeds);
    const withZeros = await run(standardResidualUNet(), { ...feeds, ...zeros });
    expect(tensorOf(withZeros.out_sample).data).toEqual(tensorOf(plain.out_sample).data);
  });

  it("adds each residual to its skip and the mid residual to the mid block's output", async () => {
    const unet = standardResidualUNet();
    const residualInputs = [...DOWN, "mid_block_additional_residual"];
    const sums = residualInputs.map((input) => outputOf(unet, input));
    const skips = residualInputs.map((input) => addendOf(unet, input));
    const feeds = common();
    const inputs = await residualFeeds();
    const out = await run(exposeValues(unet, [...sums, ...skips]), { ...feeds, ...inputs });
    for (const [i, input] of residualInputs.entries())
      expectClose(
        tensorOf(out[sums[i] as string]),
        addReference(tensorOf(out[skips[i] as string]), tensorOf(inputs[input])),
        1e-6,
        input,
      );
  });
});

describe("the fused ControlNet and residual UNet", () => {
  it.each([
    ["ControlNet", (operators: OperatorSet) => controlnet(trained(), operators)],
    ["residual UNet", (operators: OperatorSet) => residualUNet(operators)],
  ] as const)("%s: the fused graph (CUDA-only ops expanded) equals the standard one", async (_, build) => {
    const all: Record<string, Tensor> = { ...common(), controlnet_cond: image(), ...(await residualFeeds()) };
    const standardModel = build("standard");
    const inputs = (onnx.onnx.ModelProto.decode(standardModel).graph?.input ?? []).map((i) => i.name ?? "");
    const used = Object.fromEntries(inputs.map((name) => [name, all[name] as Tensor]));
    const standard = await run(standardModel, used);
    const fused = await run(expandCudaOnlyOps(build("fused")), used);
    for (const name of Object.keys(standard))
      expectClose(tensorOf(fused[name]), tensorOf(standard[name]), 1e-4, name);
  });
});
