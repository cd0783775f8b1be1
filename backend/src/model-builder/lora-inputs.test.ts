import { describe, expect, it } from "vitest";
import { clipLoraModule, unetLoraModules } from "./lora-inputs.ts";

describe("which layers get LoRA inputs", () => {
  it("linear: the blocks' Linears and 1×1 convolutions; locon: their k×k convolutions too", () => {
    const linear = unetLoraModules("linear");
    const locon = unetLoraModules("locon");
    const q = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";
    expect(linear(q, 1)).toBe(q);
    expect(linear("mid_block.attentions.0.proj_in", 1)).toBe("mid_block.attentions.0.proj_in");
    expect(linear("down_blocks.1.resnets.0.conv1", 3)).toBeUndefined();
    expect(locon("down_blocks.1.resnets.0.conv1", 3)).toBe("down_blocks.1.resnets.0.conv1");
    // outside the blocks no SD 1.5 LoRA trains anything
    expect(locon("conv_in", 3)).toBeUndefined();
    expect(locon("time_embedding.linear_1", 1)).toBeUndefined();
  });

  it("names CLIP's encoder Linears as transformers does, and nothing else of the text encoder", () => {
    expect(clipLoraModule("encoder.layers.3.self_attn.to_out.0")).toBe(
      "text_model.encoder.layers.3.self_attn.out_proj",
    );
    expect(clipLoraModule("encoder.layers.3.mlp.fc2")).toBe("text_model.encoder.layers.3.mlp.fc2");
    expect(clipLoraModule("text_projection")).toBeUndefined();
  });
});
