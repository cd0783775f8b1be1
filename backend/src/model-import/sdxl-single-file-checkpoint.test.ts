import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredTensor } from "./checkpoint-weights.ts";
import type { FloatDtypeName, SafetensorsTensor } from "./safetensors.ts";
import {
  randomSdxlRequests,
  requestSdxlWeights,
  SDXL_NETWORKS,
  type SdxlRequests,
  writeSdxlSingleFile,
  writeTensors,
  ZERO_SDXL_WEIGHTS,
} from "./sdxl-checkpoint-test-support.ts";
import { openClipNames, openSdxlSingleFile } from "./sdxl-single-file-checkpoint.ts";
import { diffusersUNetName, originalUNetName, SDXL_UNET_LAYOUT } from "./single-file-checkpoint.ts";

/**
 * Names as they are in Stability's sd_xl_base_1.0.safetensors, against the diffusers names the builder
 * asks for: written out by hand, not derived, so a wrong block index in the mapping shows here.
 */
const ORIGINAL_UNET_NAMES: Record<string, string> = {
  "conv_in.weight": "input_blocks.0.0.weight",
  "time_embedding.linear_2.weight": "time_embed.2.weight",
  "add_embedding.linear_1.weight": "label_emb.0.0.weight",
  "add_embedding.linear_2.bias": "label_emb.0.2.bias",
  "down_blocks.0.resnets.0.norm1.weight": "input_blocks.1.0.in_layers.0.weight",
  "down_blocks.0.resnets.1.time_emb_proj.weight": "input_blocks.2.0.emb_layers.1.weight",
  "down_blocks.0.downsamplers.0.conv.weight": "input_blocks.3.0.op.weight",
  "down_blocks.1.resnets.0.conv_shortcut.weight": "input_blocks.4.0.skip_connection.weight",
  "down_blocks.1.attentions.0.proj_in.weight": "input_blocks.4.1.proj_in.weight",
  "down_blocks.1.attentions.1.transformer_blocks.1.attn2.to_k.weight":
    "input_blocks.5.1.transformer_blocks.1.attn2.to_k.weight",
  "down_blocks.1.downsamplers.0.conv.bias": "input_blocks.6.0.op.bias",
  "down_blocks.2.attentions.0.transformer_blocks.9.ff.net.2.weight":
    "input_blocks.7.1.transformer_blocks.9.ff.net.2.weight",
  "down_blocks.2.resnets.1.conv2.weight": "input_blocks.8.0.out_layers.3.weight",
  "mid_block.resnets.0.conv1.weight": "middle_block.0.in_layers.2.weight",
  "mid_block.attentions.0.transformer_blocks.9.norm3.weight":
    "middle_block.1.transformer_blocks.9.norm3.weight",
  "mid_block.resnets.1.norm2.bias": "middle_block.2.out_layers.0.bias",
  "up_blocks.0.resnets.0.conv_shortcut.weight": "output_blocks.0.0.skip_connection.weight",
  "up_blocks.0.attentions.0.transformer_blocks.9.attn1.to_out.0.weight":
    "output_blocks.0.1.transformer_blocks.9.attn1.to_out.0.weight",
  "up_blocks.0.upsamplers.0.conv.weight": "output_blocks.2.2.conv.weight",
  "up_blocks.1.attentions.0.proj_out.weight": "output_blocks.3.1.proj_out.weight",
  "up_blocks.1.upsamplers.0.conv.bias": "output_blocks.5.2.conv.bias",
  "up_blocks.2.resnets.0.conv_shortcut.weight": "output_blocks.6.0.skip_connection.weight",
  "up_blocks.2.resnets.2.conv2.weight": "output_blocks.8.0.out_layers.3.weight",
  "conv_norm_out.weight": "out.0.weight",
  "conv_out.bias": "out.2.bias",
};

/** OpenCLIP bigG's names (without `conditioner.embedders.1.model.`) for the builder's. */
const OPEN_CLIP_NAMES: Record<string, ReturnType<typeof openClipNames>[number]> = {
  "embeddings.token_embedding.weight": { name: "token_embedding.weight" },
  "embeddings.position_embedding.weight": { name: "positional_embedding" },
  "encoder.layers.0.self_attn.to_q.weight": {
    name: "transformer.resblocks.0.attn.in_proj_weight",
    rowBlock: { index: 0, of: 3 },
  },
  "encoder.layers.31.self_attn.to_v.bias": {
    name: "transformer.resblocks.31.attn.in_proj_bias",
    rowBlock: { index: 2, of: 3 },
  },
  "encoder.layers.5.self_attn.to_out.0.weight": { name: "transformer.resblocks.5.attn.out_proj.weight" },
  "encoder.layers.5.layer_norm1.bias": { name: "transformer.resblocks.5.ln_1.bias" },
  "encoder.layers.5.layer_norm2.weight": { name: "transformer.resblocks.5.ln_2.weight" },
  "encoder.layers.7.mlp.fc1.weight": { name: "transformer.resblocks.7.mlp.c_fc.weight" },
  "encoder.layers.7.mlp.fc2.bias": { name: "transformer.resblocks.7.mlp.c_proj.bias" },
  "final_layer_norm.weight": { name: "ln_final.weight" },
};

const DIVISOR = 32;
const root = mkdtempSync(join(tmpdir(), "sdgate-sdxl-single-file-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What SDXL at 1/32 width asks for, with seeded random values. */
let random: SdxlRequests;

beforeAll(() => {
  random = randomSdxlRequests(7, DIVISOR);
});

/** What else Stability's file holds that no network reads. */
const EXTRAS: SafetensorsTensor[] = [
  {
    name: "conditioner.embedders.0.transformer.text_model.embeddings.position_ids",
    dtype: "F32",
    shape: [1, 77],
    values: new Float32Array(77),
  },
  {
    name: "conditioner.embedders.1.model.logit_scale",
    dtype: "F32",
    shape: [],
    values: Float32Array.of(4.6),
  },
];

/** The largest error rounding to `dtype` may make: half an fp16 ulp, a whole bf16 one (truncation). */
function withinRounding(got: Float32Array, want: Float32Array, dtype: FloatDtypeName): boolean {
  const relative = dtype === "F16" ? 2 ** -11 : 2 ** -7;
  return want.every((w, i) => Math.abs((got[i] as number) - w) <= relative * Math.abs(w) + 2 ** -24);
}

describe("SDXL single-file (Stability layout) names", () => {
  it("match sd_xl_base_1.0's names, written out by hand, both ways", () => {
    for (const [name, original] of Object.entries(ORIGINAL_UNET_NAMES)) {
      expect([name, originalUNetName(name, SDXL_UNET_LAYOUT)]).toEqual([name, original]);
      expect([original, diffusersUNetName(original, SDXL_UNET_LAYOUT)]).toEqual([original, name]);
    }
    for (const [name, stored] of Object.entries(OPEN_CLIP_NAMES))
      expect([name, openClipNames(name)]).toEqual([name, [stored]]);
    expect(openClipNames("text_projection.weight")).toEqual([
      { name: "text_projection", transposed: true },
      { name: "text_projection.weight" },
    ]);
  });

  it("give every tensor a 1/8-width SDXL asks for its own original name, which reads back", () => {
    const requests = requestSdxlWeights(ZERO_SDXL_WEIGHTS, 8);
    // the sizes of stable-diffusion-xl-base-1.0's state dicts (CLIP without position_ids)
    expect(SDXL_NETWORKS.map((network) => requests[network].length)).toEqual([196, 517, 1680, 248]);
    const unet = requests.unet.map(({ name }) => originalUNetName(name, SDXL_UNET_LAYOUT));
    expect(new Set(unet).size).toBe(unet.length);
    expect(
      unet.filter((n) => /down_blocks|up_blocks|mid_block|resnets|attentions\.|conv_shortcut/.test(n)),
    ).toEqual([]);
    expect(
      requests.unet.filter(({ name }, i) => diffusersUNetName(unet[i] as string, SDXL_UNET_LAYOUT) !== name),
    ).toEqual([]);
    const openClip = requests.textEncoder2.map(({ name }) => openClipNames(name)[0] as StoredTensor);
    expect(openClip.filter((s) => /layer_norm|self_attn|fc[12]|embeddings\.|final_/.test(s.name))).toEqual(
      [],
    );
    // q, k and v share each in_proj tensor, one third each; every other tensor is its own
    const uses = new Map<string, number[]>();
    for (const stored of openClip)
      uses.set(stored.name, [...(uses.get(stored.name) ?? []), stored.rowBlock?.index ?? -1]);
    const packed = [...uses].filter(([name]) => name.includes("in_proj_"));
    expect(packed).toHaveLength(64);
    expect(packed.every(([, indices]) => indices.sort().join() === "0,1,2")).toBe(true);
    expect([...uses].filter(([name, indices]) => !name.includes("in_proj_") && indices.length !== 1)).toEqual(
      [],
    );
  });
});

describe("SDXL weights from a single-file checkpoint", () => {
  for (const dtype of ["F16", "BF16"] as const)
    it(`give every network the ${dtype} file's values, listing what no network read`, () => {
      const file = join(root, `sdxl-${dtype}.safetensors`);
      writeSdxlSingleFile(file, random, { dtype, extras: EXTRAS });
      const checkpoint = openSdxlSingleFile(file);
      try {
        const read = requestSdxlWeights(checkpoint, DIVISOR);
        for (const network of SDXL_NETWORKS)
          random[network].forEach((want, i) => {
            const got = read[network][i];
            expect(got?.name, network).toBe(want.name);
            expect(withinRounding(got?.values ?? new Float32Array(), want.values, dtype), want.name).toBe(
              true,
            );
          });
        expect(checkpoint.unusedTensors().sort()).toEqual(EXTRAS.map((t) => `${file}: ${t.name}`).sort());
      } finally {
        checkpoint.close();
      }
    }, 30_000);

  it("split OpenCLIP's in_proj into q, k and v and transpose text_projection (values written out by hand), naming a missing or mis-shaped tensor", () => {
    const file = join(root, "open-clip.safetensors");
    const prefix = "conditioner.embedders.1.model.";
    writeTensors(file, [
      { name: "model.diffusion_model.out.2.bias", dtype: "F32", shape: [4], values: new Float32Array(4) },
      {
        name: `${prefix}transformer.resblocks.0.attn.in_proj_weight`,
        dtype: "F32",
        shape: [6, 2],
        values: Float32Array.from({ length: 12 }, (_, i) => i),
      },
      {
        name: `${prefix}transformer.resblocks.0.attn.in_proj_bias`,
        dtype: "BF16",
        shape: [6],
        values: Float32Array.of(100, 101, 102, 103, 104, 105),
      },
      {
        name: `${prefix}text_projection`,
        dtype: "F16",
        shape: [2, 3],
        values: Float32Array.of(0, 1, 2, 3, 4, 5),
      },
    ]);
    const checkpoint = openSdxlSingleFile(file);
    try {
      const te2 = checkpoint.textEncoder2;
      const read = (name: string, torchShape: number[], transpose = false) =>
        Array.from(
          te2.normal(
            name,
            torchShape.reduce((a, b) => a * b, 1),
            0,
            { torchShape, transpose },
          ),
        );
      expect(read("encoder.layers.0.self_attn.to_q.weight", [2, 2])).toEqual([0, 1, 2, 3]);
      expect(read("encoder.layers.0.self_attn.to_k.weight", [2, 2])).toEqual([4, 5, 6, 7]);
      // the builder's MatMul wants [in, out]: v's rows [8, 9] and [10, 11] as columns
      expect(read("encoder.layers.0.self_attn.to_v.weight", [2, 2], true)).toEqual([8, 10, 9, 11]);
      expect(read("encoder.layers.0.self_attn.to_v.bias", [2])).toEqual([104, 105]);
      // open_clip's [in = 2, out = 3] is nn.Linear's [3, 2] transposed, and the MatMul's [in, out] again
      expect(read("text_projection.weight", [3, 2])).toEqual([0, 3, 1, 4, 2, 5]);
      expect(read("text_projection.weight", [3, 2], true)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(checkpoint.unusedTensors()).toEqual([`${file}: model.diffusion_model.out.2.bias`]);
      expect(() => read("encoder.layers.0.self_attn.to_q.weight", [3, 2])).toThrow(
        `${file}: tensor ${prefix}transformer.resblocks.0.attn.in_proj_weight has shape [6, 2], expected [9, 2]`,
      );
      expect(() => read("encoder.layers.1.self_attn.to_k.bias", [2])).toThrow(
        `${file}: no tensor ${prefix}transformer.resblocks.1.attn.in_proj_bias (expected shape [2])`,
      );
    } finally {
      checkpoint.close();
    }
  });

  it("read text_projection saved as an nn.Linear weight (ComfyUI's) as it is", () => {
    const file = join(root, "linear-projection.safetensors");
    writeTensors(file, [
      { name: "model.diffusion_model.out.2.bias", dtype: "F32", shape: [4], values: new Float32Array(4) },
      {
        name: "conditioner.embedders.1.model.text_projection.weight",
        dtype: "F32",
        shape: [3, 2],
        values: Float32Array.of(0, 1, 2, 3, 4, 5),
      },
    ]);
    const checkpoint = openSdxlSingleFile(file);
    try {
      const values = checkpoint.textEncoder2.normal("text_projection.weight", 6, 0, { torchShape: [3, 2] });
      expect(Array.from(values)).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      checkpoint.close();
    }
  });

  it("refuse an SD 1.5 file", () => {
    const sd15 = join(root, "sd15.safetensors");
    writeTensors(sd15, [
      { name: "model.diffusion_model.out.2.bias", dtype: "F32", shape: [4], values: new Float32Array(4) },
      { name: "cond_stage_model.transformer.x", dtype: "F32", shape: [1], values: new Float32Array(1) },
    ]);
    expect(() => openSdxlSingleFile(sd15)).toThrow(
      /no conditioner\.embedders\.1\.model\.\* tensors \(SDXL's OpenCLIP bigG encoder\), so not an SDXL checkpoint/,
    );
  });
});
