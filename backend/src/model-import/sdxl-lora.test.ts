import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importSdxl } from "./import-sdxl.ts";
import { type AdapterSpec, expected, peftTensors, writeKohya } from "./lora-file-test-support.ts";
import { kohyaLdmUNetPath, parseAdapterName } from "./lora-names.ts";
import { encodeSafetensors, type SafetensorsTensor } from "./safetensors.ts";
import {
  randomSdxlRequests,
  requestingBuild,
  type SdxlRequests,
  sdxlStateDicts,
  writeSdxlDiffusersFolder,
  writeSdxlSingleFile,
} from "./sdxl-checkpoint-test-support.ts";

/** SDXL at 1/32 width: UNet levels of 10, 20 and 40 channels, cross-attention 64, encoders 24 and 40. */
const DIVISOR = 32;
const root = mkdtempSync(join(tmpdir(), "sdgate-sdxl-lora-"));
/** The base model's weights, as one single file and as a diffusers folder. */
const sources = {
  fromCheckpoint: join(root, "sdxl.safetensors"),
  fromDiffusers: join(root, "sdxl-diffusers"),
};
let base: SdxlRequests;

beforeAll(() => {
  base = randomSdxlRequests(7, DIVISOR);
  writeSdxlSingleFile(sources.fromCheckpoint, base, { dtype: "F32" });
  writeSdxlDiffusersFolder(sources.fromDiffusers, base, { dtype: "F32" });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** `importSdxl` from one of `sources` with one LoRA at `scale`. */
const merge = (source: keyof typeof sources, lora: string, scale: number) =>
  importSdxl(
    join(root, "out"),
    { dtype: "float32", [source]: sources[source], loras: [{ path: lora, scale }] },
    requestingBuild(DIVISOR),
  );

/**
 * An adapter on `module` of `target`, kohya-named `lora_unet_<kohya>`, or for a text encoder
 * `lora_<kohya><module with _ for .>`.
 */
function adapter(
  target: AdapterSpec["target"],
  module: string,
  kohya: string,
  shape: number[],
  rank: number,
  alpha?: number,
): AdapterSpec {
  const name = target === "unet" ? `lora_unet_${kohya}` : `lora_${kohya}${module.replaceAll(".", "_")}`;
  return { target, module, kohya: name, shape, rank, ...(alpha === undefined ? {} : { alpha }) };
}

/** kohya's SDXL modules: the UNet in the ldm layout (or diffusers' in converted files), two encoders. */
const ADAPTERS: AdapterSpec[] = [
  adapter(
    "unet",
    "down_blocks.2.attentions.0.transformer_blocks.9.attn2.to_k",
    "input_blocks_7_1_transformer_blocks_9_attn2_to_k",
    [40, 64],
    4,
    2,
  ),
  // LoCon on the upsampler's 3×3 convolution, which SDXL puts after the attention (output_blocks.2.2)
  adapter("unet", "up_blocks.0.upsamplers.0.conv", "output_blocks_2_2_conv", [40, 40, 3, 3], 2),
  adapter("unet", "mid_block.resnets.0.conv1", "middle_block_0_in_layers_2", [40, 40, 3, 3], 2, 1),
  adapter("unet", "up_blocks.1.attentions.0.proj_out", "up_blocks_1_attentions_0_proj_out", [20, 20], 4),
  adapter("text_encoder", "text_model.encoder.layers.0.self_attn.q_proj", "te1_", [24, 24], 4, 8),
  // a third of OpenCLIP's packed in_proj in the single file
  adapter("text_encoder_2", "text_model.encoder.layers.31.self_attn.v_proj", "te2_", [40, 40], 4, 16),
  adapter("text_encoder_2", "text_model.encoder.layers.3.mlp.fc1", "te2_", [160, 40], 2),
];

const NETWORK = { unet: "unet", text_encoder: "textEncoder", text_encoder_2: "textEncoder2" } as const;

/** Every tensor of `built` equals `base`'s but the adapters' weights, which are merged at `scale`. */
function expectMerged(built: SdxlRequests, specs: readonly AdapterSpec[], scale: number): void {
  const [before, after] = [sdxlStateDicts(base, "F32"), sdxlStateDicts(built, "F32")];
  const trained = new Map(specs.map((spec, i) => [`${NETWORK[spec.target]}:${spec.module}.weight`, i]));
  for (const network of ["textEncoder", "textEncoder2", "unet", "vae"] as const)
    after[network].forEach((tensor, j) => {
      const original = before[network][j] as SafetensorsTensor;
      const index = trained.get(`${network}:${tensor.name}`);
      const same = Buffer.from(tensor.values.buffer).equals(Buffer.from(original.values.buffer));
      if (index === undefined) {
        expect(same, tensor.name).toBe(true);
        return;
      }
      const want = expected(specs[index] as AdapterSpec, 10 * index, original.values, scale);
      const worst = want.reduce((m, w, k) => Math.max(m, Math.abs((tensor.values[k] as number) - w)), 0);
      expect(worst, tensor.name).toBeLessThan(1e-5);
      expect(same, tensor.name).toBe(false);
    });
}

describe("SDXL LoRA adapter names", () => {
  it("read kohya's ldm-layout UNet modules and lora_te1/te2 into SDXL's diffusers and transformers paths", () => {
    const unet: Record<string, string | undefined> = {
      input_blocks_4_1_transformer_blocks_1_attn1_to_q:
        "down_blocks.1.attentions.0.transformer_blocks.1.attn1.to_q",
      input_blocks_8_1_proj_in: "down_blocks.2.attentions.1.proj_in",
      input_blocks_4_0_skip_connection: "down_blocks.1.resnets.0.conv_shortcut",
      input_blocks_2_0_emb_layers_1: "down_blocks.0.resnets.1.time_emb_proj",
      input_blocks_6_0_op: "down_blocks.1.downsamplers.0.conv",
      middle_block_1_transformer_blocks_9_ff_net_0_proj:
        "mid_block.attentions.0.transformer_blocks.9.ff.net.0.proj",
      output_blocks_5_1_transformer_blocks_0_attn2_to_out_0:
        "up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_out.0",
      output_blocks_8_0_out_layers_3: "up_blocks.2.resnets.2.conv2",
      // level 0 has no attention in SDXL
      input_blocks_1_1_proj_in: undefined,
    };
    for (const [kohya, path] of Object.entries(unet))
      expect([kohya, kohyaLdmUNetPath(kohya)]).toEqual([kohya, path]);
    const te2 = "lora_te2_text_model_encoder_layers_30_self_attn_out_proj.lora_up.weight";
    expect(parseAdapterName(te2, "sdxl")).toEqual({
      key: "text_encoder_2:text_model.encoder.layers.30.self_attn.out_proj",
      part: "up",
    });
    // SD 1.5 has neither SDXL's encoders nor its ldm-named UNet modules; SDXL has no lora_te_
    expect(parseAdapterName(te2)?.key).toBe("lora_te2:text_model_encoder_layers_30_self_attn_out_proj");
    expect(parseAdapterName("lora_unet_input_blocks_4_1_proj_in.alpha")?.key).toBe(
      "unet:?input_blocks_4_1_proj_in",
    );
    expect(parseAdapterName("lora_te_text_model_encoder_layers_0_mlp_fc1.alpha", "sdxl")?.key).toBe(
      "lora_te:text_model_encoder_layers_0_mlp_fc1",
    );
    expect(
      parseAdapterName("text_encoder_2.text_model.encoder.layers.0.mlp.fc2.lora_A.weight", "sdxl"),
    ).toEqual({
      key: "text_encoder_2:text_model.encoder.layers.0.mlp.fc2",
      part: "down",
    });
  });
});

describe("SDXL LoRA merged into a checkpoint", () => {
  it("adds scale · alpha / rank · up · down to each trained weight of a single file's UNet and both text encoders, and nothing else", async () => {
    const lora = join(root, "kohya-sdxl.safetensors");
    writeKohya(lora, ADAPTERS);
    const result = await merge("fromCheckpoint", lora, 0.5);
    expect(result.unmatchedLoraAdapters).toEqual([]);
    expectMerged(result.requests, ADAPTERS, 0.5);
  }, 30_000);

  it("merges PEFT's unet / text_encoder / text_encoder_2 adapters into a diffusers folder the same way", async () => {
    const specs = ADAPTERS.map((spec) => ({ ...spec, alpha: spec.rank })); // PEFT files carry no alpha
    const lora = join(root, "peft-sdxl.safetensors");
    writeFileSync(lora, encodeSafetensors(peftTensors(specs), { format: "pt" }));
    const result = await merge("fromDiffusers", lora, 0.8);
    expect(result.unmatchedLoraAdapters).toEqual([]);
    expectMerged(result.requests, specs, 0.8);
  }, 30_000);

  it("lists the adapters that matched nothing, and refuses an SD 1.5 LoRA", async () => {
    const first = ADAPTERS[0] as AdapterSpec;
    const partly = join(root, "partly.safetensors");
    writeKohya(partly, [
      first,
      { ...first, kohya: "lora_unet_input_blocks_1_1_proj_in" },
      { ...first, kohya: "lora_te_text_model_encoder_layers_0_self_attn_q_proj" },
    ]);
    const result = await merge("fromCheckpoint", partly, 1);
    expect(result.unmatchedLoraAdapters.sort()).toEqual([
      `${partly}: lora_te:text_model_encoder_layers_0_self_attn_q_proj`,
      `${partly}: unet:?input_blocks_1_1_proj_in`,
    ]);
    const sd15 = join(root, "sd15.safetensors");
    writeKohya(sd15, [
      { ...first, kohya: "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q" },
      { ...first, kohya: "lora_te_text_model_encoder_layers_0_self_attn_q_proj" },
    ]);
    await expect(merge("fromCheckpoint", sd15, 1)).rejects.toThrow(
      /none of its 2 LoRA adapters matches an SDXL weight \(a LoRA for another model, such as SD 1\.5\?\)/,
    );
  }, 30_000);
});
