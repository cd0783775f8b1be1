import onnx from "onnx-proto";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { buildVaeDecoderKL, buildVaeEncoder } from "./autoencoder-kl.ts";
import { CUDA_ONLY_OPS, expandCudaOnlyOps } from "./contrib-reference.ts";
import type { OperatorSet } from "./nn.ts";
import { gaussian, worstRelativeError } from "./ort-test-support.ts";
import { sd15TextEncoder, sd15UNet, sd15Vae } from "./sd15-architecture.ts";
import { countSd15Parameters } from "./sd15-full-size.ts";
import { CountingSink } from "./tensor-sink.ts";
import { buildTextEncoder } from "./text-encoder.ts";
import { buildUNet2DCondition } from "./unet-2d-condition.ts";
import { WeightSource } from "./weights.ts";

/**
 * The fused graphs (onnxruntime's contrib operators where its SD optimiser puts them) against the
 * standard ones, on SD 1.5's architecture with widths ÷ 8, float32, on the CPU provider. Operators with
 * CPU kernels (Attention, MultiHeadAttention on separate Q/K/V, SkipLayerNormalization, QuickGelu) run
 * as themselves; the CUDA-only ones are first rewritten into standard operators by `expandCudaOnlyOps`,
 * so what is compared is the wiring, packing and weight layout. The CUDA kernels' numbers are owed to
 * the device (bench/gpu/run.ts --check).
 */
const DIVISOR = 8;

function opCounts(model: Uint8Array): Map<string, number> {
  const counts = new Map<string, number>();
  for (const node of onnx.onnx.ModelProto.decode(model).graph?.node ?? [])
    counts.set(node.opType ?? "", (counts.get(node.opType ?? "") ?? 0) + 1);
  return counts;
}

async function run(model: Uint8Array, feeds: Record<string, Tensor>, name: string): Promise<Float32Array> {
  const session = await InferenceSession.create(model, { graphOptimizationLevel: "disabled" });
  try {
    return (await session.run(feeds))[name]?.data as Float32Array;
  } finally {
    await session.release();
  }
}

function expectClose(actual: Float32Array, expected: Float32Array, relative: number): void {
  expect(worstRelativeError(actual, expected)).toBeLessThan(relative);
}

const unet = (operators: OperatorSet) =>
  buildUNet2DCondition(new WeightSource(3), sd15UNet(DIVISOR), { operators });
const vaeDecoder = (operators: OperatorSet) =>
  buildVaeDecoderKL(new WeightSource(5), sd15Vae(DIVISOR), { operators });
const vaeEncoder = (operators: OperatorSet) =>
  buildVaeEncoder(new WeightSource(4), sd15Vae(DIVISOR), "latent_sample", {}, { operators });
const textEncoder = (operators: OperatorSet) =>
  buildTextEncoder(new WeightSource(1), { ...sd15TextEncoder(DIVISOR), operators });

describe("fused operators, SD 1.5 architecture", () => {
  it("the full-size fused UNet has the optimiser's fused nodes, no Conv and the same parameter count", () => {
    const sink = new CountingSink();
    const model = buildUNet2DCondition(
      new WeightSource(3),
      sd15UNet(),
      { operators: "fused" },
      { floatType: "float16", sink },
    );
    const ops = opCounts(model);
    // 16 transformer blocks: a self- and a cross-attention each, two SkipLayerNorms, one GEGLU.
    expect(ops.get("MultiHeadAttention")).toBe(32);
    expect(ops.get("SkipLayerNormalization")).toBe(32);
    expect(ops.get("LayerNormalization")).toBe(16);
    expect(ops.get("BiasSplitGelu")).toBe(16);
    expect(ops.get("BiasAdd")).toBe(16);
    // 22 ResNets: norm1 a GroupNorm+SiLU, norm2 a SkipGroupNorm with the time embedding; 16
    // transformer norms and conv_norm_out.
    expect(ops.get("SkipGroupNorm")).toBe(22);
    expect(ops.get("GroupNorm")).toBe(22 + 16 + 1);
    for (const gone of ["Conv", "InstanceNormalization", "Softmax", "Erf", "Split"])
      expect(ops.get(gone), gone).toBeUndefined();
    // NHWC trunk: one transpose in, one out.
    expect(ops.get("Transpose")).toBe(2);
    expect(sink.parameters).toBe(859_520_964);
    const standard = countSd15Parameters({ dtype: "float16" });
    const fused = countSd15Parameters({ dtype: "float16", operators: "fused" });
    for (const network of ["text_encoder", "unet", "vae_encoder", "vae_decoder"] as const)
      expect(fused[network].parameters, network).toBe(standard[network].parameters);
  });

  it("GroupNorm's gamma and beta stay float32 in a float16 graph, as onnxruntime's fp16 conversion keeps them", () => {
    const model = onnx.onnx.ModelProto.decode(
      buildVaeDecoderKL(
        new WeightSource(5),
        sd15Vae(DIVISOR),
        { operators: "fused" },
        { floatType: "float16" },
      ),
    );
    const types = new Map((model.graph?.initializer ?? []).map((t) => [t.name, t.dataType]));
    const norm = (model.graph?.node ?? []).find((n) => n.opType === "GroupNorm");
    expect(norm?.domain).toBe("com.microsoft");
    expect([types.get(norm?.input?.[1]), types.get(norm?.input?.[2])]).toEqual([1, 1]);
    expect(Number(norm?.attribute?.find((a) => a.name === "channels_last")?.i)).toBe(1);
  });

  it("text encoder: Attention, SkipLayerNormalization and QuickGelu on their CPU kernels equal the standard graph", async () => {
    const ids = new Int32Array(77).fill(49407);
    ids.set([49406, 320, 1929, 530, 2368]);
    const feeds = { input_ids: new Tensor("int32", ids, [1, 77]) };
    const fusedModel = textEncoder("fused");
    for (const op of CUDA_ONLY_OPS) expect(opCounts(fusedModel).get(op), op).toBeUndefined();
    expectClose(
      await run(fusedModel, feeds, "last_hidden_state"),
      await run(textEncoder("standard"), feeds, "last_hidden_state"),
      1e-4,
    );
  });

  it("UNet: fused graph (CUDA-only ops expanded, MultiHeadAttention and SkipLayerNorm native) equals the standard graph", async () => {
    const feeds = {
      sample: new Tensor("float32", gaussian(2 * 4 * 8 * 8, 7), [2, 4, 8, 8]),
      timestep: new Tensor("float32", Float32Array.from([981, 981]), [2]),
      encoder_hidden_states: new Tensor("float32", gaussian(2 * 77 * 96, 8), [2, 77, 96]),
    };
    const expanded = expandCudaOnlyOps(unet("fused"));
    for (const op of CUDA_ONLY_OPS) expect(opCounts(expanded).get(op), op).toBeUndefined();
    expect(opCounts(expanded).get("MultiHeadAttention")).toBe(32);
    expectClose(
      await run(expanded, feeds, "out_sample"),
      await run(unet("standard"), feeds, "out_sample"),
      1e-4,
    );
  }, 30_000);

  it("VAE decoder and encoder: fused graphs (Attention native) equal the standard graphs", async () => {
    const latents = { latent_sample: new Tensor("float32", gaussian(4 * 8 * 8, 9), [1, 4, 8, 8]) };
    expectClose(
      await run(expandCudaOnlyOps(vaeDecoder("fused")), latents, "sample"),
      await run(vaeDecoder("standard"), latents, "sample"),
      1e-4,
    );
    const image = { sample: new Tensor("float32", gaussian(3 * 64 * 64, 10), [1, 3, 64, 64]) };
    expectClose(
      await run(expandCudaOnlyOps(vaeEncoder("fused")), image, "latent_sample"),
      await run(vaeEncoder("standard"), image, "latent_sample"),
      1e-4,
    );
  }, 30_000);
});
