import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSd15FullSize } from "../model-builder/sd15-full-size.ts";
import {
  type DiffusersTensors,
  diffusersTensors,
  writeSingleFileCheckpoint,
} from "./checkpoint-test-support.ts";
import { importSd15 } from "./import-sd15.ts";
import { LoraFile } from "./lora.ts";
import {
  type AdapterSpec,
  expected,
  kohyaTensors,
  peftTensors,
  writeKohya,
} from "./lora-file-test-support.ts";
import { kohyaClipPath, kohyaUNetPath } from "./lora-names.ts";
import { encodeSafetensors } from "./safetensors.ts";

const root = mkdtempSync(join(tmpdir(), "sdgate-lora-"));
const randomDir = join(root, "random");
const checkpoint = join(root, "model.safetensors");
const tokenizerDir = join(randomDir, "tokenizer");
afterAll(() => rmSync(root, { recursive: true, force: true }));
let base: DiffusersTensors;

beforeAll(async () => {
  await buildSd15FullSize(randomDir, { dtype: "float32", widthDivisor: 8 });
  base = diffusersTensors(randomDir);
  writeSingleFileCheckpoint(checkpoint, base);
}, 60_000);

const ADAPTERS: AdapterSpec[] = [
  {
    target: "unet",
    module: "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q",
    kohya: "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q",
    shape: [40, 40],
    rank: 4,
    alpha: 2,
  },
  {
    // LoCon: a 3×3 convolution
    target: "unet",
    module: "down_blocks.1.resnets.0.conv1",
    kohya: "lora_unet_down_blocks_1_resnets_0_conv1",
    shape: [80, 40, 3, 3],
    rank: 2,
  },
  {
    target: "text_encoder",
    module: "text_model.encoder.layers.0.self_attn.q_proj",
    kohya: "lora_te_text_model_encoder_layers_0_self_attn_q_proj",
    shape: [96, 96],
    rank: 4,
    alpha: 8,
  },
];

const weightOf = (tensors: DiffusersTensors, spec: AdapterSpec) =>
  (spec.target === "unet" ? tensors.unet : tensors.textEncoder).find(
    (t) => t.name === `${spec.module}.weight`,
  );

describe("LoRA adapter names", () => {
  it("read kohya's underscore-joined modules back into SD 1.5's module paths", () => {
    const unet: Record<string, string> = {
      down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q:
        "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q",
      up_blocks_1_attentions_2_transformer_blocks_0_ff_net_0_proj:
        "up_blocks.1.attentions.2.transformer_blocks.0.ff.net.0.proj",
      up_blocks_3_attentions_0_transformer_blocks_0_attn2_to_out_0:
        "up_blocks.3.attentions.0.transformer_blocks.0.attn2.to_out.0",
      mid_block_attentions_0_proj_in: "mid_block.attentions.0.proj_in",
      down_blocks_1_resnets_0_conv_shortcut: "down_blocks.1.resnets.0.conv_shortcut",
      down_blocks_2_resnets_1_time_emb_proj: "down_blocks.2.resnets.1.time_emb_proj",
      down_blocks_0_downsamplers_0_conv: "down_blocks.0.downsamplers.0.conv",
    };
    for (const [kohya, path] of Object.entries(unet))
      expect([kohya, kohyaUNetPath(kohya)]).toEqual([kohya, path]);
    expect(kohyaUNetPath("input_blocks_4_1_transformer_blocks_0_attn1_to_q")).toBeUndefined(); // SDXL's names
    expect(kohyaClipPath("text_model_encoder_layers_11_mlp_fc2")).toBe(
      "text_model.encoder.layers.11.mlp.fc2",
    );
    expect(kohyaClipPath("text_model_encoder_layers_0_self_attn_out_proj")).toBe(
      "text_model.encoder.layers.0.self_attn.out_proj",
    );
  });
});

describe("LoRA merged into a checkpoint", () => {
  it("adds scale · alpha / rank · up · down to each trained weight, Linear and conv, UNet and CLIP, and nothing else", async () => {
    const lora = join(root, "style.safetensors");
    writeKohya(lora, ADAPTERS);
    const builtDir = join(root, "with-lora");
    const result = await importSd15(builtDir, {
      dtype: "float32",
      widthDivisor: 8,
      fromCheckpoint: checkpoint,
      tokenizerDir,
      loras: [{ path: lora, scale: 0.5 }],
    });
    expect(result.unmatchedLoraAdapters).toEqual([]);
    const built = diffusersTensors(builtDir);
    ADAPTERS.forEach((spec, i) => {
      const baseValues = weightOf(base, spec)?.values ?? new Float32Array(0);
      const want = expected(spec, 10 * i, baseValues, 0.5);
      const got = weightOf(built, spec)?.values as Float32Array;
      expect(got.length, spec.module).toBe(want.length);
      let worst = 0;
      for (let j = 0; j < want.length; j++)
        worst = Math.max(worst, Math.abs((got[j] as number) - (want[j] as number)));
      expect(worst, spec.module).toBeLessThan(1e-5);
      expect(Buffer.from(got.buffer).equals(Buffer.from(baseValues.buffer))).toBe(false);
    });
    const trained = new Set(ADAPTERS.map((spec) => `${spec.module}.weight`));
    for (const key of ["unet", "textEncoder", "vae"] as const)
      for (const tensor of built[key]) {
        if (trained.has(tensor.name)) continue;
        const original = base[key].find((t) => t.name === tensor.name)?.values as Float32Array;
        expect(Buffer.from(tensor.values.buffer).equals(Buffer.from(original.buffer)), tensor.name).toBe(
          true,
        );
      }
  }, 60_000);

  it("reads PEFT's lora_A / lora_B layout as the same adapters", () => {
    const kohyaPath = join(root, "kohya.safetensors");
    const peftPath = join(root, "peft.safetensors");
    const specs = ADAPTERS.map((spec) => ({ ...spec, alpha: spec.rank })); // PEFT files carry no alpha
    writeKohya(kohyaPath, specs);
    writeFileSync(peftPath, encodeSafetensors(peftTensors(specs), { format: "pt" }));
    const [kohya, fromPeft] = [LoraFile.open(kohyaPath, 0.8), LoraFile.open(peftPath, 0.8)];
    try {
      for (const spec of specs) {
        const builderName =
          spec.target === "unet" ? `${spec.module}.weight` : "encoder.layers.0.self_attn.to_q.weight";
        const values = weightOf(base, spec)?.values as Float32Array;
        const a = kohya.apply(spec.target, builderName, values, spec.shape);
        expect(a, spec.module).not.toBe(values);
        expect(fromPeft.apply(spec.target, builderName, values, spec.shape), spec.module).toEqual(a);
      }
      expect(kohya.unmatched()).toEqual([]);
    } finally {
      kohya.close();
      fromPeft.close();
    }
  });

  it("lists adapters that matched nothing and tensors it cannot merge, and refuses a LoRA of another model", async () => {
    const partly = join(root, "partly.safetensors");
    writeKohya(partly, [
      ADAPTERS[0] as AdapterSpec,
      { ...(ADAPTERS[0] as AdapterSpec), kohya: "lora_unet_conv_in", module: "conv_in" },
    ]);
    const options = { dtype: "float32", widthDivisor: 8, fromCheckpoint: checkpoint, tokenizerDir } as const;
    const result = await importSd15(join(root, "partly"), {
      ...options,
      loras: [{ path: partly, scale: 1 }],
    });
    expect(result.unmatchedLoraAdapters).toEqual([`${partly}: unet:?conv_in`]);
    // a LoHa tensor (LyCORIS) beside a LoRA adapter: merged what it can, and says what it could not
    const loha = "lora_unet_mid_block_attentions_0_proj_in.hada_w1_a";
    const withExtra = join(root, "with-loha.safetensors");
    writeFileSync(
      withExtra,
      encodeSafetensors(
        [
          ...kohyaTensors([ADAPTERS[0] as AdapterSpec]),
          { name: loha, dtype: "F32", shape: [2, 2], values: new Float32Array(4) },
        ],
        { format: "pt" },
      ),
    );
    const mixed = await importSd15(join(root, "mixed"), {
      ...options,
      loras: [{ path: withExtra, scale: 1 }],
    });
    expect(mixed.unmatchedLoraAdapters).toEqual([`${withExtra}: ${loha}`]);

    const sdxl = join(root, "sdxl.safetensors");
    writeKohya(sdxl, [
      {
        ...(ADAPTERS[0] as AdapterSpec),
        kohya: "lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q",
      },
    ]);
    await expect(
      importSd15(join(root, "sdxl-out"), { ...options, loras: [{ path: sdxl, scale: 1 }] }),
    ).rejects.toThrow(/none of its 1 LoRA adapters matches an SD 1\.5 weight/);
    await expect(
      importSd15(join(root, "random-lora"), {
        dtype: "float32",
        widthDivisor: 8,
        loras: [{ path: partly, scale: 1 }],
      }),
    ).rejects.toThrow(/a LoRA is merged into a checkpoint; give fromDiffusers or fromCheckpoint/);
  }, 60_000);

  it("refuses a file without adapters, and an adapter whose shapes do not fit the weight", () => {
    const empty = join(root, "empty.safetensors");
    writeFileSync(
      empty,
      encodeSafetensors([{ name: "x", dtype: "F32", shape: [1], values: new Float32Array(1) }]),
    );
    expect(() => LoraFile.open(empty)).toThrow(/no LoRA adapters found/);
    const lora = join(root, "misfit.safetensors");
    writeKohya(lora, [ADAPTERS[0] as AdapterSpec]);
    const file = LoraFile.open(lora);
    try {
      const name = `${ADAPTERS[0]?.module}.weight`;
      expect(() => file.apply("unet", name, new Float32Array(80 * 40), [80, 40])).toThrow(
        /adapter unet:down_blocks\.0\.attentions\.0\.transformer_blocks\.0\.attn1\.to_q has shapes \[40, 4\] · \[4, 40\], which do not make \[80, 40\]/,
      );
      const zero = LoraFile.open(lora, 0);
      try {
        const values = new Float32Array(40 * 40);
        expect(zero.apply("unet", name, values, [40, 40])).toBe(values);
      } finally {
        zero.close();
      }
    } finally {
      file.close();
    }
  });
});
