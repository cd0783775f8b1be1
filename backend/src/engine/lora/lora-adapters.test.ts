import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeKohya } from "../../model-import/lora-file-test-support.ts";
import { readLoraAdapters } from "./lora-adapters.ts";

const root = mkdtempSync(join(tmpdir(), "sdgate-lora-adapters-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("per-request LoRA adapters", () => {
  it("are keyed by SDXL's diffusers UNet modules and its two encoders when read for SDXL", () => {
    const path = join(root, "sdxl.safetensors");
    const unet = { target: "unet", module: "", shape: [4, 6], rank: 2 } as const;
    writeKohya(path, [
      { ...unet, kohya: "lora_unet_input_blocks_4_1_transformer_blocks_1_attn2_to_k", alpha: 1 },
      { ...unet, kohya: "lora_te1_text_model_encoder_layers_0_self_attn_q_proj" },
      { ...unet, kohya: "lora_te2_text_model_encoder_layers_31_mlp_fc2" },
    ]);
    const sdxl = readLoraAdapters(path, "sdxl");
    expect([...sdxl.adapters.keys()].sort()).toEqual([
      "text_encoder:text_model.encoder.layers.0.self_attn.q_proj",
      "text_encoder_2:text_model.encoder.layers.31.mlp.fc2",
      "unet:down_blocks.1.attentions.0.transformer_blocks.1.attn2.to_k",
    ]);
    expect(
      sdxl.adapters.get("unet:down_blocks.1.attentions.0.transformer_blocks.1.attn2.to_k")?.alphaScale,
    ).toBe(0.5);
    // read for SD 1.5, none of them is a module it has
    expect([...readLoraAdapters(path).adapters.keys()].sort()).toEqual([
      "lora_te1:text_model_encoder_layers_0_self_attn_q_proj",
      "lora_te2:text_model_encoder_layers_31_mlp_fc2",
      "unet:?input_blocks_4_1_transformer_blocks_1_attn2_to_k",
    ]);
  });
});
