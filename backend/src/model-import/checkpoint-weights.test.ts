import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildVaeDecoderKL } from "../model-builder/autoencoder-kl.ts";
import { expandCudaOnlyOps } from "../model-builder/contrib-reference.ts";
import type { OperatorSet } from "../model-builder/nn.ts";
import { gaussian } from "../model-builder/ort-test-support.ts";
import { sd15TextEncoder, sd15UNet, sd15Vae } from "../model-builder/sd15-architecture.ts";
import { buildSd15FullSize, FULL_SIZE_NETWORKS } from "../model-builder/sd15-full-size.ts";
import { buildTextEncoder } from "../model-builder/text-encoder.ts";
import { buildUNet2DCondition } from "../model-builder/unet-2d-condition.ts";
import { torchTensors } from "./checkpoint-test-support.ts";
import { DiffusersCheckpoint } from "./checkpoint-weights.ts";
import { importSd15 } from "./import-sd15.ts";
import { encodeSafetensors, type SafetensorsTensor } from "./safetensors.ts";

/**
 * A diffusers-format checkpoint written from a random build (SD 1.5, widths ÷ 8, float32), each
 * weight turned back into torch's layout and name, then rebuilt from that checkpoint: equal bytes
 * prove the builder asks for every tensor by the checkpoint's name and rearranges it as it should.
 */
const DIVISOR = 8;
const root = mkdtempSync(join(tmpdir(), "sdgate-checkpoint-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Component = "text_encoder" | "unet" | "vae";
const FILES: Record<Component, string> = {
  text_encoder: "text_encoder/model.safetensors",
  unet: "unet/diffusion_pytorch_model.safetensors",
  vae: "vae/diffusion_pytorch_model.safetensors",
};

function writeFolder(dir: string, components: Record<Component, readonly SafetensorsTensor[]>): void {
  for (const component of Object.keys(FILES) as Component[]) {
    const path = join(dir, FILES[component]);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, encodeSafetensors(components[component], { format: "pt" }));
  }
}

async function outputOf(model: string | Uint8Array, feeds: Record<string, Tensor>, name: string) {
  const session = await InferenceSession.create(model as Uint8Array, { graphOptimizationLevel: "disabled" });
  try {
    return (await session.run(feeds))[name]?.data as Float32Array;
  } finally {
    await session.release();
  }
}

const ids = new Int32Array(77).fill(49407);
ids.set([49406, 320, 1929, 530, 2368]);
const feeds = {
  text_encoder: { input_ids: new Tensor("int32", ids, [1, 77]) },
  unet: {
    sample: new Tensor("float32", gaussian(2 * 4 * 8 * 8, 7), [2, 4, 8, 8]),
    timestep: new Tensor("float32", Float32Array.from([981, 981]), [2]),
    encoder_hidden_states: new Tensor("float32", gaussian(2 * 77 * 96, 8), [2, 77, 96]),
  },
  vae_decoder: { latent_sample: new Tensor("float32", gaussian(4 * 8 * 8, 9), [1, 4, 8, 8]) },
};
const OUTPUTS = { text_encoder: "last_hidden_state", unet: "out_sample", vae_decoder: "sample" } as const;

let checkpoint: Record<Component, SafetensorsTensor[]>;
const randomDir = join(root, "random");
const diffusersDir = join(root, "diffusers");

beforeAll(async () => {
  await buildSd15FullSize(randomDir, { dtype: "float32", widthDivisor: DIVISOR });
  checkpoint = {
    text_encoder: [
      ...torchTensors(randomDir, "text_encoder"),
      // transformers' buffer, saved by older versions (I64 there); no network reads it.
      {
        name: "text_model.embeddings.position_ids",
        dtype: "F32",
        shape: [1, 77],
        values: new Float32Array(77),
      },
    ],
    unet: torchTensors(randomDir, "unet"),
    vae: [...torchTensors(randomDir, "vae_encoder"), ...torchTensors(randomDir, "vae_decoder")],
  };
  writeFolder(diffusersDir, checkpoint);
  mkdirSync(join(diffusersDir, "tokenizer"));
  writeFileSync(join(diffusersDir, "tokenizer/vocab.json"), '{"a</w>": 0}');
  writeFileSync(join(diffusersDir, "tokenizer/merges.txt"), "#version: 0.2\n");
}, 60_000);

describe("weights from a diffusers checkpoint", () => {
  it("the checkpoint written from the builder has transformers' CLIPTextModel names and torch shapes", () => {
    const names = checkpoint.text_encoder.map((t) => t.name).sort();
    const expected = ["token_embedding", "position_embedding"].map(
      (e) => `text_model.embeddings.${e}.weight`,
    );
    expected.push("text_model.embeddings.position_ids");
    for (let layer = 0; layer < 12; layer++)
      for (const part of [
        "self_attn.q_proj",
        "self_attn.k_proj",
        "self_attn.v_proj",
        "self_attn.out_proj",
      ].concat(["layer_norm1", "layer_norm2", "mlp.fc1", "mlp.fc2"]))
        expected.push(...["weight", "bias"].map((p) => `text_model.encoder.layers.${layer}.${part}.${p}`));
    expected.push("text_model.final_layer_norm.weight", "text_model.final_layer_norm.bias");
    expect(names).toEqual(expected.sort());
    const shape = (component: Component, name: string) =>
      checkpoint[component].find((t) => t.name === name)?.shape;
    // nn.Linear [out, in]: fc1 is 96 → 384 at ÷ 8.
    expect(shape("text_encoder", "text_model.encoder.layers.0.mlp.fc1.weight")).toEqual([384, 96]);
    expect(shape("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight")).toEqual([
      40, 96,
    ]);
    expect(shape("unet", "down_blocks.0.attentions.0.proj_in.weight")).toEqual([40, 40, 1, 1]);
    expect(shape("unet", "time_embedding.linear_1.weight")).toEqual([160, 40]);
    expect(shape("vae", "decoder.mid_block.attentions.0.group_norm.weight")).toEqual([64]);
    expect(checkpoint.unet).toHaveLength(686);
  });

  it("rebuilds the random build bit for bit from its checkpoint, using the folder's tokenizer", async () => {
    const rebuiltDir = join(root, "rebuilt");
    const result = await importSd15(rebuiltDir, {
      dtype: "float32",
      widthDivisor: DIVISOR,
      fromDiffusers: diffusersDir,
    });
    for (const network of FULL_SIZE_NETWORKS)
      for (const file of ["model.onnx", "model.onnx_data"])
        expect(
          Buffer.compare(
            readFileSync(join(randomDir, network, file)),
            readFileSync(join(rebuiltDir, network, file)),
          ),
          `${network}/${file}`,
        ).toBe(0);
    for (const network of ["text_encoder", "unet", "vae_decoder"] as const) {
      const path = (dir: string) => join(dir, network, "model.onnx");
      const [random, rebuilt] = await Promise.all([
        outputOf(path(randomDir), feeds[network], OUTPUTS[network]),
        outputOf(path(rebuiltDir), feeds[network], OUTPUTS[network]),
      ]);
      expect(rebuilt.length, network).toBeGreaterThan(0);
      expect(Buffer.from(rebuilt.buffer).equals(Buffer.from(random.buffer)), network).toBe(true);
    }
    expect(result.unusedCheckpointTensors).toEqual([
      `${join(diffusersDir, FILES.text_encoder)}: text_model.embeddings.position_ids`,
    ]);
    expect(readFileSync(join(rebuiltDir, "tokenizer/vocab.json"), "utf8")).toBe('{"a</w>": 0}');
  }, 60_000);

  it("reads VAEs saved before diffusers 0.14 (query/key/value/proj_attn as 1×1 convolutions)", () => {
    const legacyDir = join(root, "legacy-vae");
    const legacyNames: Record<string, string> = {
      to_q: "query",
      to_k: "key",
      to_v: "value",
      "to_out.0": "proj_attn",
    };
    const vae = checkpoint.vae.map((t) => {
      const match = /^(.*\.attentions\.0\.)(to_q|to_k|to_v|to_out\.0)\.(weight|bias)$/.exec(t.name);
      if (match === null) return t;
      const [, prefix, part, kind] = match as unknown as [string, string, string, string];
      return {
        ...t,
        name: `${prefix}${legacyNames[part]}.${kind}`,
        shape: kind === "weight" ? [...t.shape, 1, 1] : t.shape,
      };
    });
    expect(vae.some((t) => t.name === "decoder.mid_block.attentions.0.proj_attn.weight")).toBe(true);
    writeFolder(legacyDir, { ...checkpoint, vae });
    const legacy = DiffusersCheckpoint.open(legacyDir);
    const current = DiffusersCheckpoint.open(diffusersDir);
    try {
      const decoder = (weights: DiffusersCheckpoint) => buildVaeDecoderKL(weights.vae, sd15Vae(DIVISOR));
      expect(Buffer.compare(decoder(legacy), decoder(current))).toBe(0);
    } finally {
      legacy.close();
      current.close();
    }
  });

  it("fused graphs from the checkpoint (CUDA-only ops expanded) equal the standard ones", async () => {
    const weights = DiffusersCheckpoint.open(diffusersDir);
    try {
      const build = {
        text_encoder: (operators: OperatorSet) =>
          buildTextEncoder(weights.textEncoder, { ...sd15TextEncoder(DIVISOR), operators }),
        unet: (operators: OperatorSet) =>
          buildUNet2DCondition(weights.unet, sd15UNet(DIVISOR), { operators }),
        vae_decoder: (operators: OperatorSet) =>
          buildVaeDecoderKL(weights.vae, sd15Vae(DIVISOR), { operators }),
      };
      for (const network of ["text_encoder", "unet", "vae_decoder"] as const) {
        const fused = await outputOf(
          expandCudaOnlyOps(build[network]("fused")),
          feeds[network],
          OUTPUTS[network],
        );
        const standard = await outputOf(build[network]("standard"), feeds[network], OUTPUTS[network]);
        let worst = 0;
        let scale = 0;
        for (let i = 0; i < standard.length; i++) {
          worst = Math.max(worst, Math.abs((fused[i] as number) - (standard[i] as number)));
          scale = Math.max(scale, Math.abs(standard[i] as number));
        }
        expect(fused.length, network).toBe(standard.length);
        expect(scale, network).toBeGreaterThan(0);
        expect(worst / scale, network).toBeLessThan(1e-4);
      }
    } finally {
      weights.close();
    }
  }, 30_000);

  it("names the tensor, its expected shape and the file when a tensor is missing or mis-shaped", async () => {
    const missing = "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_v.weight";
    const unet = checkpoint.unet.filter((t) => t.name !== missing);
    const brokenDir = join(root, "broken");
    writeFolder(brokenDir, { ...checkpoint, unet });
    const file = join(brokenDir, FILES.unet);
    const options = { dtype: "float32", widthDivisor: DIVISOR, fromDiffusers: brokenDir } as const;
    await expect(importSd15(join(root, "out-missing"), options)).rejects.toThrow(
      `${file}: no tensor ${missing} (expected shape [80, 80])`,
    );
    const reshaped = checkpoint.unet.map((t) =>
      t.name === "conv_in.weight" ? { ...t, shape: [40, 2, 3, 6] } : t,
    );
    writeFolder(brokenDir, { ...checkpoint, unet: reshaped });
    await expect(importSd15(join(root, "out-shape"), options)).rejects.toThrow(
      `${file}: tensor conv_in.weight has shape [40, 2, 3, 6], expected [40, 4, 3, 3]`,
    );
    rmSync(join(brokenDir, FILES.vae));
    await expect(importSd15(join(root, "out-file"), options)).rejects.toThrow(
      `${brokenDir} has no vae/diffusion_pytorch_model.safetensors or vae/diffusion_pytorch_model.fp16.safetensors`,
    );
  }, 30_000);
});
