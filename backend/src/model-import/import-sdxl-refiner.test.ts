import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refineTestPattern } from "../engine/test-models.ts";
import { writeTokenizer } from "../model-builder/sd15-configs.ts";
import { detectCheckpointArchitecture, detectDiffusersArchitecture } from "./checkpoint-architecture.ts";
import { resolveCheckpointModels } from "./checkpoint-models.ts";
import { torchTensors } from "./checkpoint-test-support.ts";
import { importSdxlRefiner } from "./import-sdxl-refiner.ts";
import type { FloatDtypeName, SafetensorsTensor } from "./safetensors.ts";
import * as fixtures from "./sdxl-checkpoint-test-support.ts";
import { openSdxlRefinerSingleFile } from "./sdxl-refiner-checkpoint.ts";
import { diffusersUNetName, originalUNetName, SDXL_REFINER_UNET_LAYOUT } from "./single-file-checkpoint.ts";

/**
 * Names as they are in Stability's sd_xl_refiner_1.0.safetensors (ldm's four levels: attention on
 * the middle two, the downsampler into the fourth at input_blocks.9, no upsampler after the last),
 * against the diffusers names the builder asks for: written out by hand, not derived.
 */
const ORIGINAL_REFINER_UNET_NAMES: Record<string, string> = {
  "add_embedding.linear_1.weight": "label_emb.0.0.weight",
  "down_blocks.0.resnets.1.time_emb_proj.weight": "input_blocks.2.0.emb_layers.1.weight",
  "down_blocks.0.downsamplers.0.conv.weight": "input_blocks.3.0.op.weight",
  "down_blocks.1.attentions.1.transformer_blocks.3.attn2.to_k.weight":
    "input_blocks.5.1.transformer_blocks.3.attn2.to_k.weight",
  "down_blocks.2.resnets.0.conv_shortcut.weight": "input_blocks.7.0.skip_connection.weight",
  "down_blocks.2.downsamplers.0.conv.bias": "input_blocks.9.0.op.bias",
  "down_blocks.3.resnets.1.conv2.weight": "input_blocks.11.0.out_layers.3.weight",
  "mid_block.attentions.0.transformer_blocks.3.norm3.weight":
    "middle_block.1.transformer_blocks.3.norm3.weight",
  "up_blocks.0.resnets.2.conv_shortcut.weight": "output_blocks.2.0.skip_connection.weight",
  "up_blocks.0.upsamplers.0.conv.weight": "output_blocks.2.1.conv.weight",
  "up_blocks.1.attentions.0.proj_in.weight": "output_blocks.3.1.proj_in.weight",
  "up_blocks.1.upsamplers.0.conv.bias": "output_blocks.5.2.conv.bias",
  "up_blocks.2.attentions.2.transformer_blocks.0.ff.net.0.proj.weight":
    "output_blocks.8.1.transformer_blocks.0.ff.net.0.proj.weight",
  "up_blocks.2.upsamplers.0.conv.weight": "output_blocks.8.2.conv.weight",
  "up_blocks.3.resnets.0.norm1.weight": "output_blocks.9.0.in_layers.0.weight",
  "up_blocks.3.resnets.2.conv1.bias": "output_blocks.11.0.in_layers.2.bias",
};

const DIVISOR = 32;
const root = mkdtempSync(join(tmpdir(), "sdgate-import-sdxl-refiner-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What the refiner at 1/32 width asks for, with seeded random values. */
let random: fixtures.SdxlRefinerRequests;

beforeAll(() => {
  random = fixtures.randomSdxlRefinerRequests(7, DIVISOR);
});

/** What else Stability's refiner file holds that no network reads. */
const EXTRAS: SafetensorsTensor[] = [
  {
    name: "conditioner.embedders.0.model.logit_scale",
    dtype: "F32",
    shape: [],
    values: Float32Array.of(4.6),
  },
];

/** The largest error rounding to `dtype` may make: half an fp16 ulp, a whole bf16 one (truncation). */
function withinRounding(got: Float32Array, want: Float32Array, dtype: FloatDtypeName): boolean {
  const relative = dtype === "F16" ? 2 ** -11 : dtype === "BF16" ? 2 ** -7 : 0;
  return want.every((w, i) => Math.abs((got[i] as number) - w) <= relative * Math.abs(w) + 2 ** -24);
}

/** Every request of `got` has `want`'s name and values (within `dtype`'s rounding). */
function expectSameRequests(
  got: fixtures.SdxlRefinerRequests,
  want: fixtures.SdxlRefinerRequests,
  dtype: FloatDtypeName,
): void {
  for (const network of fixtures.SDXL_REFINER_NETWORKS) {
    expect(got[network].length, network).toBe(want[network].length);
    want[network].forEach((request, i) => {
      const read = got[network][i];
      expect(read?.name, network).toBe(request.name);
      expect(withinRounding(read?.values ?? new Float32Array(), request.values, dtype), request.name).toBe(
        true,
      );
    });
  }
}

describe("SDXL refiner names", () => {
  it("match sd_xl_refiner_1.0's UNet names, written out by hand, both ways", () => {
    for (const [name, original] of Object.entries(ORIGINAL_REFINER_UNET_NAMES)) {
      expect([name, originalUNetName(name, SDXL_REFINER_UNET_LAYOUT)]).toEqual([name, original]);
      expect([original, diffusersUNetName(original, SDXL_REFINER_UNET_LAYOUT)]).toEqual([original, name]);
    }
  });

  it("give every tensor the refiner asks for its own original name, which reads back", () => {
    const requests = random;
    // bigG and the VAE as SDXL base's; the UNet's counted by hand from its published config: 14 whole
    // tensors, 10 for each of 22 ResNets and 2 more for the 14 with a shortcut (the first of levels 1
    // and 2, every one up), 86 for each of 11 four-block transformers (the mid block's included), 2
    // for each of 6 samplers: 1,220
    expect(fixtures.SDXL_REFINER_NETWORKS.map((network) => requests[network].length)).toEqual([
      517, 1220, 248,
    ]);
    const unet = requests.unet.map(({ name }) => originalUNetName(name, SDXL_REFINER_UNET_LAYOUT));
    expect(new Set(unet).size).toBe(unet.length);
    expect(
      unet.filter((n) => /down_blocks|up_blocks|mid_block|resnets|attentions\.|conv_shortcut/.test(n)),
    ).toEqual([]);
    expect(
      requests.unet.filter(
        ({ name }, i) => diffusersUNetName(unet[i] as string, SDXL_REFINER_UNET_LAYOUT) !== name,
      ),
    ).toEqual([]);
  });
});

describe("SDXL refiner weights", () => {
  for (const dtype of ["F16", "BF16"] as const)
    it(`come from a single ${dtype} file in Stability's layout, listing what no network read`, () => {
      const file = join(root, `refiner-${dtype}.safetensors`);
      fixtures.writeSdxlRefinerSingleFile(file, random, { dtype, extras: EXTRAS });
      expect(detectCheckpointArchitecture(file)).toBe("sdxl-refiner");
      const checkpoint = openSdxlRefinerSingleFile(file);
      try {
        expectSameRequests(fixtures.requestSdxlRefinerWeights(checkpoint, DIVISOR), random, dtype);
        expect(checkpoint.unusedTensors()).toEqual(EXTRAS.map((t) => `${file}: ${t.name}`));
      } finally {
        checkpoint.close();
      }
    }, 30_000);

  it("come from a diffusers refiner folder (the .fp16 variants first for a float16 build), with its tokenizer_2/", async () => {
    const folder = join(root, "stable-diffusion-xl-refiner");
    const half = fixtures.randomSdxlRefinerRequests(8, DIVISOR);
    fixtures.writeSdxlDiffusersFolder(folder, random, { dtype: "F32" });
    fixtures.writeSdxlDiffusersFolder(folder, half, { dtype: "F16", suffix: ".fp16" });
    writeTokenizer(folder, "tokenizer_2", "!", undefined);
    writeFileSync(
      join(folder, "model_index.json"),
      JSON.stringify({ _class_name: "StableDiffusionXLImg2ImgPipeline", requires_aesthetics_score: true }),
    );
    expect(existsSync(join(folder, "text_encoder"))).toBe(false);
    expect(detectDiffusersArchitecture(folder)).toBe("sdxl-refiner");
    // without model_index.json, text_encoder_2/ without text_encoder/ still says refiner
    mkdirSync(join(root, "no-index", "text_encoder_2"), { recursive: true });
    expect(detectDiffusersArchitecture(join(root, "no-index"))).toBe("sdxl-refiner");
    const build = fixtures.requestingRefinerBuild(DIVISOR);
    const fp32 = await importSdxlRefiner(
      join(root, "out"),
      { dtype: "float32", fromDiffusers: folder },
      build,
    );
    const fp16 = await importSdxlRefiner(
      join(root, "out"),
      { dtype: "float16", fromDiffusers: folder },
      build,
    );
    expectSameRequests(fp32.requests, random, "F32");
    expectSameRequests(fp16.requests, half, "F16");
    expect([fp32.tokenizerDir, fp32.unusedCheckpointTensors]).toEqual([join(folder, "tokenizer_2"), []]);
  }, 30_000);

  it("are refused with LoRAs, or from SDXL base's file, naming why", async () => {
    const build = fixtures.requestingRefinerBuild(DIVISOR);
    const file = join(root, "refiner-F16.safetensors");
    await expect(
      importSdxlRefiner(
        join(root, "out"),
        { dtype: "float32", fromCheckpoint: file, loras: [{ path: "style.safetensors", scale: 1 }] },
        build,
      ),
    ).rejects.toThrow(/options\.loras: LoRAs are not merged into the SDXL refiner/);
    const base = join(root, "base.safetensors");
    // SDXL base's two encoders' names: the refiner's is not among them
    fixtures.writeTensors(
      base,
      [
        "model.diffusion_model.out.2.bias",
        "conditioner.embedders.0.transformer.text_model.final_layer_norm.bias",
        "conditioner.embedders.1.model.ln_final.bias",
      ].map((name) => ({ name, dtype: "F16", shape: [1], values: new Float32Array(1) })),
    );
    await expect(
      importSdxlRefiner(join(root, "out"), { dtype: "float32", fromCheckpoint: base }, build),
    ).rejects.toThrow(/no conditioner\.embedders\.0\.model\.\* tensors .*so not an SDXL refiner checkpoint/);
    await expect(importSdxlRefiner(join(root, "out"), { dtype: "float32" }, build)).rejects.toThrow(
      /an SDXL refiner import needs a source of weights/,
    );
  });
});

describe("an SDXL refiner file served as a model", () => {
  it("is built as the refiner, with the file's weights, which the engine loads and refines an image with", async () => {
    // 1/16 width: the builder's own refiner
    const requests = fixtures.randomSdxlRefinerRequests(9, 16);
    const file = join(root, "sd_xl_refiner.safetensors");
    fixtures.writeSdxlRefinerSingleFile(file, requests, { dtype: "F32", extras: EXTRAS });
    // single files carry no tokenizer: the stand-in BPE the builder writes without one
    writeTokenizer(root, "tokenizer", "!", undefined);
    const built: number[] = [];
    const folders = await resolveCheckpointModels(
      { refiner: file },
      {
        cacheDir: join(root, "cache"),
        tokenizerDir: join(root, "tokenizer"),
        executionProviders: ["cpu"],
        widthDivisor: 16,
        onBuild: ({ unusedTensors }) => built.push(unusedTensors),
      },
    );
    const dir = folders.refiner as string;
    expect(built).toEqual([EXTRAS.length]);
    const state = fixtures.sdxlStateDicts(requests, "F32");
    const sameAs = (network: "text_encoder_2" | "unet", want: readonly SafetensorsTensor[]) => {
      const got = new Map(torchTensors(dir, network).map((t) => [t.name, t.values]));
      return want.filter((t) => {
        const values = got.get(t.name);
        return values === undefined || !withinRounding(values, t.values, "F32");
      });
    };
    // every weight of the graph came from the file (GroupNorm's and LayerNorm's included)
    expect(sameAs("unet", state.unet).map((t) => t.name)).toEqual([]);
    expect(sameAs("text_encoder_2", state.textEncoder2).map((t) => t.name)).toEqual([]);

    const { family, rgb } = await refineTestPattern(dir);
    expect(family).toBe("sdxl-refiner");
    expect(new Set(rgb).size).toBeGreaterThan(16);
  }, 90_000);
});
