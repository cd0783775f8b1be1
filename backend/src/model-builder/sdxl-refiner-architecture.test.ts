import { describe, expect, it } from "vitest";
import { sdxlRefinerUNet } from "./sdxl-refiner-architecture.ts";
import { unetConfigJson } from "./tiny-variant.ts";

describe("SDXL refiner UNet at full size", () => {
  it("writes the published unet/config.json's architecture keys", () => {
    expect(unetConfigJson(sdxlRefinerUNet())).toMatchObject({
      addition_embed_type: "text_time",
      addition_time_embed_dim: 256,
      projection_class_embeddings_input_dim: 2560,
      attention_head_dim: [6, 12, 24, 24],
      block_out_channels: [384, 768, 1536, 1536],
      cross_attention_dim: 1280,
      down_block_types: ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
      up_block_types: ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
      layers_per_block: 2,
      use_linear_projection: true,
    });
  });
});
