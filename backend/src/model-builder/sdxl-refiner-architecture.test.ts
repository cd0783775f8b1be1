import { describe, expect, it } from "vitest";
import { sdxlRefinerUNet } from "./sdxl-refiner-architecture.ts";
import { CountingSink } from "./tensor-sink.ts";
import { unetConfigJson } from "./tiny-variant.ts";
import { buildUNet2DCondition } from "./unet-2d-condition.ts";
import { WeightSource } from "./weights.ts";

/**
 * `sum(p.numel() for p in unet.parameters())` of the refiner's UNet: Stability's model card gives no
 * per-network count; this is the figure an independent script computed from the same published
 * config (found in a public repository's expected values, beside SDXL inpainting's 2,567,478,084 =
 * base + its 5 extra input channels, which checks that script's counting).
 */
const REFINER_UNET_PARAMETERS = 2_259_526_660;

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

  it("counts its parameters without making a weight", () => {
    const sink = new CountingSink();
    buildUNet2DCondition(new WeightSource(1), sdxlRefinerUNet(), {}, { floatType: "float16", sink });
    expect(sink.parameters).toBe(REFINER_UNET_PARAMETERS);
  });
});
