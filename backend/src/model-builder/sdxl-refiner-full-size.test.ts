import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refineTestPattern } from "../engine/test-models.ts";
import { buildSdxlRefinerFullSize, countSdxlRefinerParameters } from "./sdxl-refiner-full-size.ts";

/**
 * `sum(p.numel() for p in unet.parameters())` of the refiner's UNet: Stability's model card gives no
 * per-network count; this is the figure an independent script computed from the same published
 * config (found in a public repository's expected values, beside SDXL inpainting's 2,567,478,084 =
 * base + its 5 extra input channels, which checks that script's counting).
 */
const REFINER_UNET_PARAMETERS = 2_259_526_660;

/** Widths ÷ 16 keep every head (4 wide) and group, and build in seconds. */
const DIVISOR = 16;

describe("full-size SDXL refiner", () => {
  it("counts the refiner's UNet as the published config builds it, and bigG as SDXL base's", () => {
    const counts = countSdxlRefinerParameters({ dtype: "float16" });
    expect(counts.unet.parameters).toBe(REFINER_UNET_PARAMETERS);
    // the same OpenCLIP bigG with projection as SDXL base's second encoder
    expect(counts.text_encoder_2.parameters).toBe(694_659_840);
  });

  describe(`widths ÷ ${DIVISOR}, float16, written as optimum exports it`, () => {
    let tempDir: string;
    let dir: string;
    beforeAll(async () => {
      tempDir = await mkdtemp(join(tmpdir(), "sdgate-sdxl-refiner-"));
      dir = (
        await buildSdxlRefinerFullSize(join(tempDir, "refiner"), { dtype: "float16", widthDivisor: DIVISOR })
      ).dir;
    }, 60_000);
    afterAll(() => rm(tempDir, { recursive: true, force: true }));

    it("has the refiner's model_index and configs", async () => {
      const config = async (path: string) => JSON.parse(await readFile(join(dir, path), "utf8"));
      const index = await config("model_index.json");
      expect(index).toMatchObject({
        _class_name: "ORTStableDiffusionXLImg2ImgPipeline",
        requires_aesthetics_score: true,
        force_zeros_for_empty_prompt: false,
      });
      expect(index.text_encoder).toBeUndefined();
      expect(await config("unet/config.json")).toMatchObject({
        projection_class_embeddings_input_dim: 80 + 5 * 16,
        transformer_layers_per_block: [4, 4, 4, 4],
        down_block_types: ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
        sample_size: 128,
      });
      expect((await config("tokenizer_2/special_tokens_map.json")).pad_token).toBe("!");
    });

    it("loads in the engine as the refiner and refines a 64×64 image on the CPU", async () => {
      const { family, rgb } = await refineTestPattern(dir);
      expect(family).toBe("sdxl-refiner");
      expect(new Set(rgb).size).toBeGreaterThan(16);
    }, 60_000);
  });
});
