import onnx from "onnx-proto";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { expandCudaOnlyOps } from "./contrib-reference.ts";
import { clipLoraModule, unetLoraModules } from "./lora-inputs.ts";
import type { OperatorSet } from "./nn.ts";
import { gaussian } from "./ort-test-support.ts";
import { sd15TextEncoder, sd15UNet } from "./sd15-architecture.ts";
import { buildTextEncoder } from "./text-encoder.ts";
import { buildUNet2DCondition } from "./unet-2d-condition.ts";
import { WeightSource } from "./weights.ts";

/**
 * Per-request LoRA on the fused operator set: with the same weights and the same adapter feeds, the
 * fused graph (CUDA-only ops rewritten into standard ones, as fused-operators.test.ts does) equals the
 * standard graph, for an empty set and a rank-4 set on every adapter input. SD 1.5's architecture with
 * widths ÷ 8, float32, CPU provider; LoCon inputs on the UNet, so 1×1 and 3×3 convolution adapters,
 * packed QKV / KV projections, the feed-forward and CLIP's Attention op all carry adapters.
 */
const DIVISOR = 8;
const RANK = 4;

const unet = (operators: OperatorSet) =>
  buildUNet2DCondition(
    new WeightSource(3),
    sd15UNet(DIVISOR),
    { operators },
    { loraModule: unetLoraModules("locon") },
  );
const textEncoder = (operators: OperatorSet) =>
  buildTextEncoder(
    new WeightSource(1),
    { ...sd15TextEncoder(DIVISOR), operators },
    { loraModule: clipLoraModule },
  );

interface AdapterInput {
  name: string;
  /** The input's dims, the rank dimension as -1. */
  dims: number[];
}

function adapterInputs(model: Uint8Array): AdapterInput[] {
  const inputs = onnx.onnx.ModelProto.decode(model).graph?.input ?? [];
  return inputs
    .filter((input) => /\.lora_(down|up)$/.test(input.name ?? ""))
    .map((input) => ({
      name: input.name ?? "",
      dims: (input.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? -1 : Number(d.dimValue))),
    }));
}

/**
 * Feeds as the engine writes them: an empty set is rank 0 on a Linear and a rank-1 zero adapter on a
 * convolution; a set of rank `rank` has small normal values (strength folded into `up`).
 */
function adapterFeeds(inputs: AdapterInput[], rank: number): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  inputs.forEach((input, index) => {
    const convolution = input.dims.length === 4;
    const r = rank === 0 && convolution ? 1 : rank;
    const dims = input.dims.map((d) => (d === -1 ? r : d));
    const count = dims.reduce((a, b) => a * b, 1);
    const values = rank === 0 ? new Float32Array(count) : gaussian(count, 100 + index).map((v) => v * 0.1);
    feeds[input.name] = new Tensor("float32", values, dims);
  });
  return feeds;
}

async function runBoth(
  standard: Uint8Array,
  fused: Uint8Array,
  feeds: Record<string, Tensor>,
  output: string,
): Promise<{ standard: Float32Array; fused: Float32Array; inputs: AdapterInput[] }> {
  const inputs = adapterInputs(standard);
  expect(adapterInputs(fused)).toEqual(inputs);
  const results: Float32Array[][] = [];
  for (const model of [standard, expandCudaOnlyOps(fused)]) {
    const session = await InferenceSession.create(model, { graphOptimizationLevel: "disabled" });
    try {
      const perRank: Float32Array[] = [];
      for (const rank of [0, RANK])
        perRank.push(
          (await session.run({ ...feeds, ...adapterFeeds(inputs, rank) }))[output]?.data as Float32Array,
        );
      results.push(perRank);
    } finally {
      await session.release();
    }
  }
  const [[standardEmpty, standardLora], [fusedEmpty, fusedLora]] = results as [
    Float32Array[],
    Float32Array[],
  ];
  expectClose(fusedEmpty as Float32Array, standardEmpty as Float32Array);
  expectClose(fusedLora as Float32Array, standardLora as Float32Array);
  // the rank-4 set moves the output, so the comparison above covers the adapters' wiring
  expect(maxDifference(standardLora as Float32Array, standardEmpty as Float32Array)).toBeGreaterThan(1e-3);
  return { standard: standardLora as Float32Array, fused: fusedLora as Float32Array, inputs };
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const scale = expected.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
  expect(scale).toBeGreaterThan(0);
  expect(maxDifference(actual, expected) / scale).toBeLessThan(1e-4);
}

describe("LoRA inputs on the fused operator set", () => {
  it("UNet: same adapter inputs as the standard graph, and equal outputs with no LoRA and with a rank-4 set", async () => {
    const feeds = {
      sample: new Tensor("float32", gaussian(2 * 4 * 8 * 8, 7), [2, 4, 8, 8]),
      timestep: new Tensor("float32", Float32Array.from([981, 981]), [2]),
      encoder_hidden_states: new Tensor("float32", gaussian(2 * 77 * 96, 8), [2, 77, 96]),
    };
    const { inputs } = await runBoth(unet("standard"), unet("fused"), feeds, "out_sample");
    const names = inputs.map((input) => input.name);
    for (const module of [
      "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k",
      "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_v",
      "down_blocks.0.attentions.0.proj_in",
      "down_blocks.0.resnets.0.conv1",
      "mid_block.resnets.0.time_emb_proj",
      "up_blocks.3.attentions.2.transformer_blocks.0.ff.net.0.proj",
    ])
      expect(names, module).toContain(`${module}.lora_down`);
  }, 60_000);

  it("text encoder: the Attention op's Q, K and V adapters folded into its weight equal the standard graph", async () => {
    const ids = new Int32Array(77).fill(49407);
    ids.set([49406, 320, 1929, 530, 2368]);
    const feeds = { input_ids: new Tensor("int32", ids, [1, 77]) };
    const { inputs } = await runBoth(
      textEncoder("standard"),
      textEncoder("fused"),
      feeds,
      "last_hidden_state",
    );
    expect(inputs.map((input) => input.name)).toContain(
      "text_model.encoder.layers.0.self_attn.k_proj.lora_up",
    );
  }, 30_000);
});
