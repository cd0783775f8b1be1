import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnx from "onnx-proto";
import { Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPipeline } from "../engine/loading/load-pipeline.ts";
import { CUDA_ONLY_OPS, expandCudaOnlyOps } from "./contrib-reference.ts";
import { exposeValues, inputBeside, readInitializers } from "./controlnet-reference.ts";
import type { OperatorSet } from "./nn.ts";
import { gaussian, runUnoptimized, worstRelativeError } from "./ort-test-support.ts";
import { sdxlTextEncoder2, sdxlUNet } from "./sdxl-architecture.ts";
import { writeSdxlConfigs } from "./sdxl-configs.ts";
import {
  buildSdxlFullSize,
  countSdxlParameters,
  SDXL_NETWORKS,
  type SdxlFullSizeResult,
  type SdxlNetwork,
  sdxlNetworkBuilders,
} from "./sdxl-full-size.ts";
import { addedTimeEmbeddingReference } from "./sdxl-unet-reference.ts";
import { CountingSink } from "./tensor-sink.ts";
import { buildTextEncoder } from "./text-encoder.ts";
import { buildUNet2DCondition } from "./unet-2d-condition.ts";
import { WeightSource } from "./weights.ts";

/**
 * Published parameter counts of stabilityai/stable-diffusion-xl-base-1.0, as
 * `sum(p.numel() for p in model.parameters())` prints them for the diffusers models and public
 * training logs and model tables repeat them (the SDXL report, arXiv:2307.01952 Table 1, rounds them to
 * 2.6B for the UNet and 817M for the two text encoders):
 * - UNet 2,567,463,684 in 1,680 tensors (e.g. a diffusers DreamBooth-LoRA log: "unet params = 2567463684").
 * - text_encoder 123,060,480: CLIP ViT-L/14's `CLIPTextModel`, the same as SD 1.5's (sd15-full-size.test.ts);
 *   with SD 3's 768×768 projection it is the 123,650,304 listed beside the next figure.
 * - text_encoder_2 694,659,840 in 517 tensors: OpenCLIP ViT-bigG/14 as `CLIPTextModelWithProjection`.
 * - VAE 83,653,863, SD 1.5's architecture: decoder 49,490,199, encoder 34,163,664.
 */
const PUBLISHED = {
  text_encoder: 123_060_480,
  text_encoder_2: 694_659_840,
  unet: 2_567_463_684,
  vae_encoder: 34_163_592 + 72,
  vae_decoder: 49_490_199,
};
const DIVISOR = 8;
const FLOAT = 1;
const FLOAT16 = 10;

describe("full-size SDXL base", () => {
  it("has exactly the real networks' parameter counts, counted without making a weight", () => {
    const startedMs = performance.now();
    const counts = countSdxlParameters({ dtype: "float16" });
    expect(performance.now() - startedMs).toBeLessThan(3000);
    for (const network of SDXL_NETWORKS) expect(counts[network].parameters, network).toBe(PUBLISHED[network]);
    expect(counts.vae_encoder.parameters + counts.vae_decoder.parameters).toBe(83_653_863);
    expect(counts.text_encoder.parameters + counts.text_encoder_2.parameters).toBe(817_720_320);
    // as many weight tensors as diffusers' state dicts have
    expect(counts.unet.tensors).toBe(1680);
    expect(counts.text_encoder_2.tensors).toBe(517);
    expect(counts.unet.bytes).toBe(2 * PUBLISHED.unet);
    // force_upcast: a float16 build keeps the VAE in float32
    expect(counts.vae_decoder.bytes).toBe(4 * PUBLISHED.vae_decoder);
    const fused = countSdxlParameters({ dtype: "float16", operators: "fused" });
    for (const network of SDXL_NETWORKS) expect(fused[network].parameters, network).toBe(PUBLISHED[network]);
  });

  it("the full-size fused UNet has the optimiser's fused nodes for its 70 transformer blocks and no Conv", () => {
    const model = buildUNet2DCondition(
      new WeightSource(3),
      sdxlUNet(),
      { operators: "fused" },
      { floatType: "float16", sink: new CountingSink() },
    );
    // a self- and a cross-attention, two SkipLayerNorms and a GEGLU per block
    expect(opCount(model, "MultiHeadAttention")).toBe(140);
    expect(opCount(model, "SkipLayerNormalization")).toBe(140);
    expect(opCount(model, "BiasSplitGelu")).toBe(70);
    expect(opCount(model, "Conv")).toBe(0);
  });

  it("with LoRA inputs, the UNet and both text encoders take adapters, parameters unchanged", () => {
    const builders = sdxlNetworkBuilders({ dtype: "float16", loraInputs: "linear" });
    const adapterInputs = (network: SdxlNetwork) => {
      const sink = new CountingSink();
      const model = onnx.onnx.ModelProto.decode(builders[network]({ floatType: "float16", sink }));
      expect(sink.parameters, network).toBe(PUBLISHED[network]);
      return (model.graph?.input ?? []).filter((i) => i.name?.endsWith(".lora_down")).map((i) => i.name);
    };
    const unet = adapterInputs("unet");
    // attention q/k/v/out, feed-forward, proj_in/out (Linears in SDXL), time_emb_proj, 1×1 shortcuts
    expect(unet).toContain("down_blocks.2.attentions.1.transformer_blocks.9.attn2.to_k.lora_down");
    expect(unet).toContain("mid_block.attentions.0.proj_in.lora_down");
    expect(unet.some((name) => name?.startsWith("add_embedding"))).toBe(false);
    expect(adapterInputs("text_encoder")).toHaveLength(12 * 6);
    expect(adapterInputs("text_encoder_2")).toHaveLength(32 * 6);
  });

  it("copies CLIP's vocabulary into both tokenizers, the second padding with '!'", async () => {
    const tokenizerDir = await mkdtemp(join(tmpdir(), "sdgate-clip-"));
    try {
      await writeFile(join(tokenizerDir, "vocab.json"), '{"!": 0}');
      await writeFile(join(tokenizerDir, "merges.txt"), "#version: 0.2\n");
      writeSdxlConfigs(tokenizerDir, { dtype: "float16", tokenizerDir });
      for (const [folder, pad] of [
        ["tokenizer", "<|endoftext|>"],
        ["tokenizer_2", "!"],
      ]) {
        expect(await readFile(join(tokenizerDir, folder as string, "vocab.json"), "utf8")).toBe('{"!": 0}');
        const special = JSON.parse(
          await readFile(join(tokenizerDir, folder as string, "special_tokens_map.json"), "utf8"),
        );
        expect(special.pad_token, folder).toBe(pad);
      }
    } finally {
      await rm(tokenizerDir, { recursive: true, force: true });
    }
  });
});

describe("full-size SDXL, widths ÷ 8, float16, written with external data", () => {
  let tempDir: string;
  let dir: string;
  let result: SdxlFullSizeResult;
  const progress: number[] = [];
  beforeAll(async () => {
    tempDir = await mkdtemp(join(tmpdir(), "sdgate-sdxl-"));
    const onProgress = ({ bytesDone, bytesTotal }: { bytesDone: number; bytesTotal: number }) =>
      progress.push(bytesDone / bytesTotal);
    result = await buildSdxlFullSize(join(tempDir, "sdxl"), {
      dtype: "float16",
      widthDivisor: DIVISOR,
      onProgress,
    });
    dir = result.dir;
  }, 60_000);
  afterAll(() => rm(tempDir, { recursive: true, force: true }));

  it("streams every weight to model.onnx_data, the VAE in float32, configs as optimum writes them", async () => {
    expect(progress.at(-1)).toBe(1);
    const counts = countSdxlParameters({ dtype: "float16", widthDivisor: DIVISOR });
    const inputTypes = new Map<string, number>();
    for (const network of SDXL_NETWORKS) {
      // all but the tensors under onnx's 1 KiB external-data threshold (biases, norms) in the data file
      expect(result.dataBytes[network], network).toBeGreaterThan(0.99 * counts[network].bytes);
      expect((await stat(join(dir, network, "model.onnx_data"))).size).toBe(result.dataBytes[network]);
      const model = onnx.onnx.ModelProto.decode(await readFile(join(dir, network, "model.onnx")));
      for (const input of model.graph?.input ?? [])
        inputTypes.set(`${network}.${input.name}`, input.type?.tensorType?.elemType ?? 0);
    }
    expect(inputTypes.get("unet.sample")).toBe(FLOAT16);
    expect(inputTypes.get("unet.text_embeds")).toBe(FLOAT16);
    expect(inputTypes.get("vae_decoder.latent_sample")).toBe(FLOAT);
    expect(inputTypes.get("vae_encoder.sample")).toBe(FLOAT);
    const config = async (path: string) => JSON.parse(await readFile(join(dir, path), "utf8"));
    expect(await config("model_index.json")).toMatchObject({
      _class_name: "ORTStableDiffusionXLPipeline",
      force_zeros_for_empty_prompt: true,
      tokenizer_2: ["transformers", "CLIPTokenizer"],
    });
    expect(await config("vae_decoder/config.json")).toMatchObject({
      force_upcast: true,
      scaling_factor: 0.13025,
    });
    expect(await config("unet/config.json")).toMatchObject({
      addition_embed_type: "text_time",
      addition_time_embed_dim: 32,
      projection_class_embeddings_input_dim: 160 + 6 * 32,
      transformer_layers_per_block: [1, 2, 10],
      sample_size: 128,
    });
    expect(await config("text_encoder_2/config.json")).toMatchObject({
      _class_name: "CLIPTextModelWithProjection",
      hidden_act: "gelu",
      num_hidden_layers: 32,
      projection_dim: 160,
    });
    expect((await config("tokenizer_2/special_tokens_map.json")).pad_token).toBe("!");
  });

  it("loads in the engine as SDXL and generates a 64×64 image on the CPU", async () => {
    const pipeline = await loadPipeline(dir, { executionProviders: ["cpu"] });
    try {
      expect(pipeline.traits.architecture).toBe("sdxl");
      const { images } = await pipeline.generate({
        prompt: "a red fox in the snow",
        width: 64,
        height: 64,
        steps: 2,
        guidanceScale: 5,
        seed: 7,
      });
      const rgb = images[0]?.rgb as Uint8Array;
      expect([images[0]?.width, images[0]?.height, rgb.length]).toEqual([64, 64, 64 * 64 * 3]);
      expect(new Set(rgb).size).toBeGreaterThan(16);
    } finally {
      await pipeline.release();
    }
  }, 30_000);
});

describe("the SDXL networks ÷ 8, float32, on the CPU", () => {
  const config = sdxlUNet(DIVISOR);
  const addition = config.addition as { timeEmbedDim: number; textEmbedDim: number };
  const unet = (operators: OperatorSet) => buildUNet2DCondition(new WeightSource(3), config, { operators });
  let standard: Uint8Array;
  // every ResNet reads SiLU(emb + aug_emb) through its time_emb_proj
  let embedding: string;
  let standardOut: Awaited<ReturnType<typeof runUnoptimized>>;
  const feeds = () => ({
    sample: new Tensor("float32", gaussian(2 * 4 * 8 * 8, 7), [2, 4, 8, 8]),
    timestep: new Tensor("float32", Float32Array.from([981, 981]), [2]),
    encoder_hidden_states: new Tensor("float32", gaussian(2 * 77 * config.crossAttentionDim, 8), [
      2,
      77,
      config.crossAttentionDim,
    ]),
    text_embeds: new Tensor("float32", gaussian(2 * addition.textEmbedDim, 9), [2, addition.textEmbedDim]),
    time_ids: new Tensor(
      "float32",
      Float32Array.from([1024, 1024, 0, 0, 1024, 1024, 768, 1344, 32, 0, 896, 1152]),
      [2, 6],
    ),
  });
  beforeAll(async () => {
    standard = unet("standard");
    embedding = inputBeside(standard, "down_blocks.0.resnets.0.time_emb_proj.weight");
    standardOut = await runUnoptimized(exposeValues(standard, [embedding]), feeds());
  }, 30_000);

  it("the added time embedding (text_embeds, time_ids) equals diffusers' computed in plain loops", () => {
    const inputs = feeds();
    const actual = standardOut[embedding]?.data as Float32Array;
    const emb = addedTimeEmbeddingReference(
      readInitializers(standard),
      {
        timesteps: [981, 981],
        textEmbeds: {
          dims: inputs.text_embeds.dims as number[],
          data: inputs.text_embeds.data as Float32Array,
        },
        timeIds: [...(inputs.time_ids.data as Float32Array)],
      },
      config.blockOutChannels[0] as number,
      addition.timeEmbedDim,
    );
    const expected = emb.data.map((v) => v / (1 + Math.exp(-v)));
    expect(actual.length).toBe(expected.length);
    expectClose(actual, expected, 1e-5);
    // the two rows differ only in text_embeds and time_ids: the added embedding is what tells them apart
    const width = expected.length / 2;
    expect(actual.subarray(0, width)).not.toEqual(actual.subarray(width));
  });

  it("UNet: the fused graph (CUDA-only ops expanded) equals the standard graph, text_embeds and time_ids included", async () => {
    const expanded = expandCudaOnlyOps(unet("fused"));
    for (const op of CUDA_ONLY_OPS) expect(opCount(expanded, op), op).toBe(0);
    // 70 transformer blocks (down 2·2 + 2·10, mid 10, up 3·10 + 3·2), a self- and a cross-attention each
    expect(opCount(expanded, "MultiHeadAttention")).toBe(2 * 70);
    const fused = (await runUnoptimized(expanded, feeds())).out_sample?.data as Float32Array;
    const plain = standardOut.out_sample?.data as Float32Array;
    expectClose(fused, plain, 1e-4);
  }, 30_000);

  it("text_encoder_2: the fused graph equals the standard one in text_embeds and the penultimate state", async () => {
    const encoder = (operators: OperatorSet) =>
      buildTextEncoder(new WeightSource(2), {
        ...sdxlTextEncoder2(DIVISOR),
        outputHiddenStates: true,
        operators,
      });
    const ids = new Int32Array(77).fill(49407);
    ids.set([49406, 320, 1929, 530, 2368]);
    const inputs = { input_ids: new Tensor("int32", ids, [1, 77]) };
    const [fused, plain] = [
      await runUnoptimized(expandCudaOnlyOps(encoder("fused")), inputs),
      await runUnoptimized(encoder("standard"), inputs),
    ];
    expect(plain.text_embeds?.dims).toEqual([1, 160]);
    for (const name of ["text_embeds", "hidden_states.31"])
      expectClose(fused[name]?.data as Float32Array, plain[name]?.data as Float32Array, 1e-4);
  });
});

function opCount(model: Uint8Array, opType: string): number {
  return (onnx.onnx.ModelProto.decode(model).graph?.node ?? []).filter((n) => n.opType === opType).length;
}

function expectClose(actual: Float32Array, expected: Float32Array, relative: number): void {
  expect(worstRelativeError(actual, expected)).toBeLessThan(relative);
}
