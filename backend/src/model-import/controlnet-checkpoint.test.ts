import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildControlNet } from "../model-builder/controlnet.ts";
import { readInitializers } from "../model-builder/controlnet-reference.ts";
import { gaussian, runUnoptimized } from "../model-builder/ort-test-support.ts";
import {
  controlNetConfigJson,
  TINY_CONTROLNET,
  TINY_SDXL_CONTROLNET,
} from "../model-builder/tiny-controlnet.ts";
import { type TensorRequest, WeightSource, type Weights } from "../model-builder/weights.ts";
import { CheckpointWeights, transpose } from "./checkpoint-weights.ts";
import { ControlNetCheckpoint, originalControlNetName } from "./controlnet-checkpoint.ts";
import { importControlNet } from "./import-controlnet.ts";
import { encodeSafetensors, SafetensorsFile, type SafetensorsTensor } from "./safetensors.ts";

/**
 * The readers against files this test writes in each layout, from one set of weights: a ControlNet
 * built from the file must be the ControlNet built from those weights directly, byte for byte (or,
 * for a difference file, to float32 rounding). SD 1.5's block layout at the tiny widths.
 */
const CONFIG = TINY_CONTROLNET;

/** Random weights that remember each tensor as torch's state dict holds it. */
class RecordingWeights implements Weights {
  readonly tensors = new Map<string, SafetensorsTensor>();
  readonly #source: WeightSource;

  constructor(seed: number) {
    this.#source = new WeightSource(seed);
  }

  normal(name: string, count: number, std: number, tensor: TensorRequest): Float32Array {
    const values = this.#source.normal(name, count, std, tensor);
    this.tensors.set(name, { name, dtype: "F32", shape: tensor.torchShape, values });
    if (tensor.transpose !== true) return values;
    const [rows, columns] = tensor.torchShape as [number, number];
    return transpose(values, rows, columns);
  }
}

const write = async (path: string, all: readonly SafetensorsTensor[]) => {
  await writeFile(path, encodeSafetensors(all, { format: "pt" }));
  return path;
};

let dir: string;
let truth: Uint8Array;
let tensors: SafetensorsTensor[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sdgate-controlnet-import-"));
  const recording = new RecordingWeights(7);
  truth = buildControlNet(recording, CONFIG);
  tensors = [...recording.tensors.values()];
  // A diffusers folder as `ControlNetModel.save_pretrained` writes it.
  const folder = join(dir, "diffusers-canny");
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, "config.json"), JSON.stringify(controlNetConfigJson(CONFIG)));
  await write(join(folder, "diffusion_pytorch_model.safetensors"), tensors);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const original = (prefix: string) =>
  tensors.map((t) => ({ ...t, name: `${prefix}${originalControlNetName(t.name)}` }));

function buildFrom(
  path: string,
  options: Parameters<typeof ControlNetCheckpoint.open>[1] = { config: CONFIG },
) {
  const checkpoint = ControlNetCheckpoint.open(path, options);
  try {
    return {
      model: buildControlNet(checkpoint.weights, checkpoint.config),
      checkpoint,
      unused: checkpoint.unusedTensors(),
    };
  } finally {
    checkpoint.close();
  }
}

describe("ControlNet checkpoints", () => {
  it("maps diffusers' names to lllyasviel's as diffusers' converter does", () => {
    const pairs = [
      ["controlnet_cond_embedding.conv_in.weight", "input_hint_block.0.weight"],
      ["controlnet_cond_embedding.blocks.0.bias", "input_hint_block.2.bias"],
      ["controlnet_cond_embedding.blocks.5.weight", "input_hint_block.12.weight"],
      ["controlnet_cond_embedding.conv_out.weight", "input_hint_block.14.weight"],
      ["controlnet_down_blocks.11.weight", "zero_convs.11.0.weight"],
      ["controlnet_mid_block.bias", "middle_block_out.0.bias"],
      ["down_blocks.1.downsamplers.0.conv.weight", "input_blocks.6.0.op.weight"],
      ["mid_block.resnets.1.conv1.weight", "middle_block.2.in_layers.2.weight"],
      ["time_embedding.linear_1.weight", "time_embed.0.weight"],
    ];
    for (const [diffusers, ldm] of pairs)
      expect(originalControlNetName(diffusers as string), diffusers).toBe(ldm);
  });

  it("reads a diffusers folder (config.json + diffusion_pytorch_model.safetensors) into the same graph", async () => {
    const folder = join(dir, "diffusers-canny");
    const { model, checkpoint, unused } = buildFrom(folder, {});
    expect(checkpoint.config).toEqual(CONFIG);
    expect(checkpoint.layout).toBe("diffusers");
    expect(unused).toEqual([]);
    expect(Buffer.from(model).equals(Buffer.from(truth))).toBe(true);
  });

  it("imports a diffusers folder as the engine loads ControlNets: streamed weights, same outputs", async () => {
    const folder = join(dir, "diffusers-canny");
    const out = join(dir, "models", "controlnet", "canny");
    const result = await importControlNet(out, { from: folder, dtype: "float32" });
    expect(result).toMatchObject({ dir: out, difference: false, unusedTensors: [] });
    expect(JSON.parse(await readFile(join(out, "config.json"), "utf8"))).toEqual(
      controlNetConfigJson(CONFIG),
    );
    const feeds = {
      sample: new Tensor("float32", gaussian(4 * 64, 1), [1, 4, 8, 8]),
      timestep: new Tensor("float32", new Float32Array([10]), [1]),
      encoder_hidden_states: new Tensor("float32", gaussian(77 * 32, 2), [1, 77, 32]),
      controlnet_cond: new Tensor("float32", gaussian(3 * 64 * 64, 3), [1, 3, 64, 64]),
    };
    const run = async (model: string | Uint8Array) => {
      const session = await InferenceSession.create(model as string);
      try {
        return await session.run(feeds);
      } finally {
        await session.release();
      }
    };
    const imported = await run(join(out, "model.onnx"));
    const expected = await run(truth);
    for (const [name, tensor] of Object.entries(expected))
      expect(imported[name]?.data, name).toEqual(tensor.data);
  });

  it("imports an SDXL diffusers folder (addition_embed_type text_time): text_embeds and time_ids, same outputs", async () => {
    const recording = new RecordingWeights(8);
    const sdxlTruth = buildControlNet(recording, TINY_SDXL_CONTROLNET);
    const folder = join(dir, "diffusers-sdxl-canny");
    await mkdir(folder, { recursive: true });
    const config = controlNetConfigJson(TINY_SDXL_CONTROLNET);
    await writeFile(join(folder, "config.json"), JSON.stringify(config));
    await write(join(folder, "diffusion_pytorch_model.safetensors"), [...recording.tensors.values()]);
    const out = join(dir, "models", "controlnet", "sdxl-canny");
    const result = await importControlNet(out, { from: folder, dtype: "float32" });
    expect(result).toMatchObject({ difference: false, unusedTensors: [] });
    expect(JSON.parse(await readFile(join(out, "config.json"), "utf8"))).toMatchObject({
      addition_embed_type: "text_time",
    });
    const { crossAttentionDim: context, addition } = TINY_SDXL_CONTROLNET.unet;
    const pooled = addition?.textEmbedDim as number;
    const feeds = {
      sample: new Tensor("float32", gaussian(4 * 64, 1), [1, 4, 8, 8]),
      timestep: new Tensor("float32", new Float32Array([10]), [1]),
      encoder_hidden_states: new Tensor("float32", gaussian(77 * context, 2), [1, 77, context]),
      text_embeds: new Tensor("float32", gaussian(pooled, 4), [1, pooled]),
      time_ids: new Tensor("float32", new Float32Array([64, 64, 0, 0, 64, 64]), [1, 6]),
      controlnet_cond: new Tensor("float32", gaussian(3 * 64 * 64, 3), [1, 3, 64, 64]),
    };
    const imported = await runUnoptimized(join(out, "model.onnx"), feeds);
    const expected = await runUnoptimized(sdxlTruth, feeds);
    expect(Object.keys(imported)).toHaveLength(10);
    for (const [name, tensor] of Object.entries(expected))
      expect(imported[name]?.data, name).toEqual(tensor.data);
    // another added embedding diffusers has (SD's "text", Kandinsky's "image") is refused by name
    await writeFile(join(folder, "config.json"), JSON.stringify({ ...config, addition_embed_type: "image" }));
    expect(() => ControlNetCheckpoint.open(folder)).toThrow(/addition_embed_type "image"/);
  });

  it.each([
    ["control_model.-prefixed (saved from the whole ControlLDM)", "control_model."],
    ["standalone (no prefix)", ""],
  ])("reads lllyasviel's original layout, %s, into the same graph", async (_, prefix) => {
    const extra: SafetensorsTensor = {
      name: "model.diffusion_model.out.2.bias",
      dtype: "F32",
      shape: [4],
      values: new Float32Array(4),
    };
    const path = await write(join(dir, `original-${prefix || "bare"}.safetensors`), [
      ...original(prefix),
      extra,
    ]);
    const { model, checkpoint, unused } = buildFrom(path);
    expect(checkpoint.layout).toBe("original");
    expect(checkpoint.difference).toBe(false);
    expect(unused).toEqual([`${path}: model.diffusion_model.out.2.bias`]);
    expect(Buffer.from(model).equals(Buffer.from(truth))).toBe(true);
  });

  it("adds the base UNet back into a difference file's encoder, not into the ControlNet's own layers", async () => {
    const base = new RecordingWeights(99);
    buildControlNet(base, CONFIG); // draws every UNet-named tensor the ControlNet has
    const baseTensors = [...base.tensors.values()].filter((t) => !t.name.startsWith("controlnet_"));
    const basePath = await write(join(dir, "base-unet.safetensors"), baseTensors);
    const baseByName = new Map(baseTensors.map((t) => [t.name, t.values]));
    const differences = tensors.map((t) => {
      const b = baseByName.get(t.name);
      return b === undefined ? t : { ...t, values: t.values.map((v, i) => v - (b[i] as number)) };
    });
    const marker: SafetensorsTensor = {
      name: "control_model.difference",
      dtype: "F32",
      shape: [],
      values: new Float32Array(1),
    };
    const path = await write(join(dir, "difference.safetensors"), [
      ...differences.map((t) => ({ ...t, name: `control_model.${originalControlNetName(t.name)}` })),
      marker,
    ]);
    expect(() => ControlNetCheckpoint.open(path, { config: CONFIG })).toThrow(/difference ControlNet.*base/);

    const baseFile = SafetensorsFile.open(basePath);
    try {
      const { model, checkpoint, unused } = buildFrom(path, {
        config: CONFIG,
        baseUNet: new CheckpointWeights(baseFile),
      });
      expect(checkpoint.difference).toBe(true);
      expect(unused).toEqual([]);
      const built = readInitializers(model);
      const expected = readInitializers(truth);
      expect([...built.keys()]).toEqual([...expected.keys()]);
      for (const [name, tensor] of expected) {
        const got = built.get(name)?.data ?? new Float32Array();
        const worst = tensor.data.reduce((w, v, i) => Math.max(w, Math.abs(v - (got[i] as number))), 0);
        expect(worst, name).toBeLessThan(1e-6);
      }
      // The ControlNet's own layers are not differences: taken exactly as stored.
      expect(built.get("controlnet_mid_block.weight")?.data).toEqual(
        expected.get("controlnet_mid_block.weight")?.data,
      );
    } finally {
      baseFile.close();
    }
  });

  it("refuses what it cannot build, naming the file and the tensor", async () => {
    const missing = await write(
      join(dir, "missing.safetensors"),
      original("").filter((t) => t.name !== "zero_convs.4.0.weight"),
    );
    expect(() => buildFrom(missing)).toThrow(/missing\.safetensors: no tensor zero_convs\.4\.0\.weight/);
    const notControlNet = await write(join(dir, "unet-only.safetensors"), [
      { name: "model.diffusion_model.out.2.bias", dtype: "F32", shape: [4], values: new Float32Array(4) },
    ]);
    expect(() => ControlNetCheckpoint.open(notControlNet)).toThrow(/not a ControlNet/);
    // SD 1.5's architecture is inferred for a single file: an SD 2.x ControlNet (1024-wide text) is refused.
    const sd2 = await write(join(dir, "sd2.safetensors"), [
      {
        name: "input_hint_block.0.weight",
        dtype: "F32",
        shape: [16, 3, 3, 3],
        values: new Float32Array(432),
      },
      {
        name: "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight",
        dtype: "F32",
        shape: [320, 1024],
        values: new Float32Array(320 * 1024),
      },
    ]);
    expect(() => ControlNetCheckpoint.open(sd2)).toThrow(/1024-wide text, SD 1.5's is 768/);
    expect(() => ControlNetCheckpoint.open(join(dir, "canny.pth"))).toThrow(/only \.safetensors/);
    const whole = await write(join(dir, "whole.safetensors"), original(""));
    expect(() => ControlNetCheckpoint.open(whole, { config: CONFIG, baseUNet: new WeightSource(1) })).toThrow(
      /not differences/,
    );
  });
});
