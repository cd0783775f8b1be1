import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPipeline } from "../engine/index.ts";
import { gaussian } from "../model-builder/ort-test-support.ts";
import { buildSd15FullSize, FULL_SIZE_NETWORKS } from "../model-builder/sd15-full-size.ts";
import {
  type DiffusersTensors,
  diffusersTensors,
  writeSingleFileCheckpoint,
} from "./checkpoint-test-support.ts";
import { summarizeUnusedTensors } from "./checkpoint-weights.ts";
import { importSd15 } from "./import-sd15.ts";
import { encodeSafetensors, type SafetensorsTensor } from "./safetensors.ts";
import { originalUNetName, originalVaeName, SingleFileCheckpoint } from "./single-file-checkpoint.ts";

/**
 * Names as they are in the original SD 1.5 release (v1-5-pruned-emaonly.safetensors) and in the
 * fine-tunes made from it, against the diffusers names the builder asks for: written out by hand, not
 * derived, so a wrong block index in the mapping shows here.
 */
const ORIGINAL_UNET_NAMES: Record<string, string> = {
  "conv_in.weight": "input_blocks.0.0.weight",
  "time_embedding.linear_2.bias": "time_embed.2.bias",
  "down_blocks.0.resnets.0.norm1.weight": "input_blocks.1.0.in_layers.0.weight",
  "down_blocks.0.resnets.1.time_emb_proj.weight": "input_blocks.2.0.emb_layers.1.weight",
  "down_blocks.0.attentions.0.proj_in.weight": "input_blocks.1.1.proj_in.weight",
  "down_blocks.0.attentions.1.transformer_blocks.0.attn2.to_k.weight":
    "input_blocks.2.1.transformer_blocks.0.attn2.to_k.weight",
  "down_blocks.0.downsamplers.0.conv.weight": "input_blocks.3.0.op.weight",
  "down_blocks.1.resnets.0.conv_shortcut.weight": "input_blocks.4.0.skip_connection.weight",
  "down_blocks.3.resnets.1.conv2.weight": "input_blocks.11.0.out_layers.3.weight",
  "mid_block.resnets.1.conv1.weight": "middle_block.2.in_layers.2.weight",
  "mid_block.attentions.0.transformer_blocks.0.ff.net.0.proj.weight":
    "middle_block.1.transformer_blocks.0.ff.net.0.proj.weight",
  "up_blocks.0.resnets.0.conv_shortcut.weight": "output_blocks.0.0.skip_connection.weight",
  "up_blocks.0.upsamplers.0.conv.weight": "output_blocks.2.1.conv.weight",
  "up_blocks.1.attentions.0.norm.weight": "output_blocks.3.1.norm.weight",
  "up_blocks.1.upsamplers.0.conv.bias": "output_blocks.5.2.conv.bias",
  "up_blocks.2.upsamplers.0.conv.weight": "output_blocks.8.2.conv.weight",
  "up_blocks.3.resnets.2.norm2.weight": "output_blocks.11.0.out_layers.0.weight",
  "up_blocks.3.attentions.2.proj_out.weight": "output_blocks.11.1.proj_out.weight",
  "conv_norm_out.weight": "out.0.weight",
  "conv_out.bias": "out.2.bias",
};

const ORIGINAL_VAE_NAMES: Record<string, string> = {
  "encoder.conv_in.weight": "encoder.conv_in.weight",
  "encoder.down_blocks.0.resnets.0.norm1.weight": "encoder.down.0.block.0.norm1.weight",
  "encoder.down_blocks.1.resnets.0.conv_shortcut.weight": "encoder.down.1.block.0.nin_shortcut.weight",
  "encoder.down_blocks.2.downsamplers.0.conv.weight": "encoder.down.2.downsample.conv.weight",
  "encoder.mid_block.attentions.0.to_q.weight": "encoder.mid.attn_1.q.weight",
  "encoder.conv_norm_out.bias": "encoder.norm_out.bias",
  "quant_conv.weight": "quant_conv.weight",
  "post_quant_conv.bias": "post_quant_conv.bias",
  "decoder.mid_block.resnets.1.conv2.weight": "decoder.mid.block_2.conv2.weight",
  "decoder.mid_block.attentions.0.group_norm.weight": "decoder.mid.attn_1.norm.weight",
  "decoder.mid_block.attentions.0.to_out.0.weight": "decoder.mid.attn_1.proj_out.weight",
  "decoder.up_blocks.0.upsamplers.0.conv.weight": "decoder.up.3.upsample.conv.weight",
  "decoder.up_blocks.2.resnets.0.conv_shortcut.weight": "decoder.up.1.block.0.nin_shortcut.weight",
  "decoder.up_blocks.3.resnets.2.conv1.weight": "decoder.up.0.block.2.conv1.weight",
  "decoder.conv_norm_out.weight": "decoder.norm_out.weight",
};

const DIVISOR = 8;
const root = mkdtempSync(join(tmpdir(), "sdgate-single-file-"));
const randomDir = join(root, "random");
const tokenizerDir = join(root, "clip");
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The random build's weights under their diffusers names, per component. */
let diffusers: DiffusersTensors;

/** What else a real single file holds that no network reads. */
const EXTRAS: SafetensorsTensor[] = [
  { name: "alphas_cumprod", dtype: "F32", shape: [1000], values: new Float32Array(1000) },
  { name: "model_ema.decay", dtype: "F32", shape: [], values: new Float32Array(1) },
  {
    name: "cond_stage_model.transformer.text_model.embeddings.position_ids",
    dtype: "F32",
    shape: [1, 77],
    values: new Float32Array(77),
  },
];

function writeSingleFile(path: string, options: { olderClip?: boolean; drop?: string } = {}): void {
  writeSingleFileCheckpoint(path, diffusers, { ...options, extras: EXTRAS });
}

beforeAll(async () => {
  await buildSd15FullSize(randomDir, { dtype: "float32", widthDivisor: DIVISOR });
  diffusers = diffusersTensors(randomDir);
  mkdirSync(tokenizerDir);
  writeFileSync(join(tokenizerDir, "vocab.json"), '{"a</w>": 0}');
  writeFileSync(join(tokenizerDir, "merges.txt"), "#version: 0.2\n");
}, 60_000);

describe("single-file (original layout) checkpoint names", () => {
  it("match the original release's names, written out by hand", () => {
    for (const [name, original] of Object.entries(ORIGINAL_UNET_NAMES))
      expect([name, originalUNetName(name)]).toEqual([name, original]);
    for (const [name, original] of Object.entries(ORIGINAL_VAE_NAMES))
      expect([name, originalVaeName(name)]).toEqual([name, original]);
  });

  it("give every parameter of the architecture its own original name", () => {
    const unet = diffusers.unet.map((t) => originalUNetName(t.name));
    expect(unet).toHaveLength(686);
    expect(new Set(unet).size).toBe(unet.length);
    // nothing is left in diffusers' vocabulary
    expect(
      unet.filter((n) => /down_blocks|up_blocks|mid_block|resnets|attentions\.|conv_shortcut/.test(n)),
    ).toEqual([]);
    const vae = diffusers.vae.map((t) => originalVaeName(t.name));
    expect(new Set(vae).size).toBe(vae.length);
    expect(vae.filter((n) => /_blocks|resnets|attentions|conv_shortcut|conv_norm_out|to_/.test(n))).toEqual(
      [],
    );
  });
});

describe("weights from a single-file checkpoint", () => {
  it("rebuild the random build bit for bit, listing what no network read", async () => {
    const file = join(root, "model.safetensors");
    writeSingleFile(file);
    const rebuiltDir = join(root, "rebuilt");
    const result = await importSd15(rebuiltDir, {
      dtype: "float32",
      widthDivisor: DIVISOR,
      fromCheckpoint: file,
      tokenizerDir,
    });
    for (const network of FULL_SIZE_NETWORKS)
      for (const name of ["model.onnx", "model.onnx_data"])
        expect(
          Buffer.compare(
            readFileSync(join(randomDir, network, name)),
            readFileSync(join(rebuiltDir, network, name)),
          ),
          `${network}/${name}`,
        ).toBe(0);
    expect(result.unusedCheckpointTensors.sort()).toEqual(EXTRAS.map((t) => `${file}: ${t.name}`).sort());
    expect(readFileSync(join(rebuiltDir, "tokenizer/vocab.json"), "utf8")).toBe('{"a</w>": 0}');
  }, 60_000);

  it("build an inpainting fine-tune (a 9-channel conv_in) as an inpainting model the engine runs", async () => {
    const file = join(root, "inpainting.safetensors");
    const conv = diffusers.unet.find((t) => t.name === "conv_in.weight") as SafetensorsTensor;
    const [out, , kh, kw] = conv.shape as [number, number, number, number];
    const nine = { ...conv, shape: [out, 9, kh, kw], values: gaussian(out * 9 * kh * kw, 3) };
    writeSingleFileCheckpoint(file, {
      ...diffusers,
      unet: diffusers.unet.map((t) => (t === conv ? nine : t)),
    });
    const dir = join(root, "inpainting");
    await importSd15(dir, {
      dtype: "float32",
      widthDivisor: DIVISOR,
      fromCheckpoint: file,
      tokenizerDir: join(randomDir, "tokenizer"),
    });
    expect(JSON.parse(readFileSync(join(dir, "unet/config.json"), "utf8")).in_channels).toBe(9);
    const pipeline = await loadPipeline(dir, { executionProviders: ["cpu"] });
    try {
      expect(pipeline.traits.inpainting).toBe(true);
      const image = { width: 64, height: 64, rgb: new Uint8Array(64 * 64 * 3).fill(128) };
      const mask = { width: 64, height: 64, rgb: new Uint8Array(64 * 64 * 3).fill(255) };
      const request = {
        prompt: "a",
        width: 64,
        height: 64,
        steps: 2,
        guidanceScale: 7,
        seed: 1,
        image,
        mask,
      };
      const { images } = await pipeline.generate(request);
      expect(images[0]?.rgb.length).toBe(64 * 64 * 3);
    } finally {
      await pipeline.release();
    }
  }, 60_000);

  it("read CLIP saved by older transformers, without the text_model level", () => {
    const file = join(root, "older-clip.safetensors");
    writeSingleFile(file, { olderClip: true });
    const checkpoint = SingleFileCheckpoint.open(file);
    try {
      for (const name of ["final_layer_norm.weight", "encoder.layers.3.mlp.fc2.bias"]) {
        const stored = diffusers.textEncoder.find((t) => t.name === `text_model.${name}`);
        const values = checkpoint.textEncoder.normal(name, stored?.values.length ?? 0, 0.1, {
          torchShape: stored?.shape ?? [],
        });
        expect(values, name).toEqual(stored?.values);
      }
    } finally {
      checkpoint.close();
    }
  });

  it("refuse pickles, diffusers files and a build without CLIP's tokenizer, naming the fix", async () => {
    expect(() => SingleFileCheckpoint.open(join(root, "model.ckpt"))).toThrow(
      /only \.safetensors checkpoints are read \(a pickled \.ckpt runs code/,
    );
    const unetOnly = join(root, "diffusion_pytorch_model.safetensors");
    writeFileSync(unetOnly, encodeSafetensors(diffusers.unet.slice(0, 3), { format: "pt" }));
    expect(() => SingleFileCheckpoint.open(unetOnly)).toThrow(/no model\.diffusion_model\.\* tensors/);
    const file = join(root, "model.safetensors");
    await expect(
      importSd15(join(root, "no-tokenizer"), {
        dtype: "float32",
        widthDivisor: DIVISOR,
        fromCheckpoint: file,
      }),
    ).rejects.toThrow(/a single-file checkpoint has no tokenizer; give tokenizerDir/);
  });

  it("name the original tensor that is missing", async () => {
    const file = join(root, "broken.safetensors");
    const missing = "model.diffusion_model.output_blocks.5.2.conv.weight";
    writeSingleFile(file, { drop: missing });
    await expect(
      importSd15(join(root, "out-broken"), {
        dtype: "float32",
        widthDivisor: DIVISOR,
        fromCheckpoint: file,
        tokenizerDir,
      }),
    ).rejects.toThrow(`${file}: no tensor ${missing} (expected shape [160, 160, 3, 3])`);
  }, 30_000);

  it("summarize hundreds of unused tensors by their first name part", () => {
    const ema = Array.from({ length: 686 }, (_, i) => `f: model_ema.diffusion_modelinput_blocks${i}weight`);
    expect(summarizeUnusedTensors([...ema, "f: alphas_cumprod"])).toEqual([
      "model_ema.*: 686 tensors",
      "f: alphas_cumprod",
    ]);
    expect(summarizeUnusedTensors(["f: a.b", "f: c"])).toEqual(["f: a.b", "f: c"]);
  });
});
