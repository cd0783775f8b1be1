import type { MaskedContent } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { readJsonObject } from "../loading/model-files.ts";
import { createSession } from "../models/onnx-session.ts";
import { VaeEncoderSession } from "../models/vae-encoder.ts";
import { createScheduler } from "../schedulers/index.ts";
import { loadTiny, meanAbsDiff, testMask, testPattern, tinyModelDir } from "../test-models.ts";
import type { GenerationRequest } from "../types.ts";
import { strengthSchedule } from "./img2img.ts";
import { generatorFor } from "./noise-source.ts";
import { prepareStart } from "./start-latents.ts";

const SIZE = 64;
const image = testPattern(SIZE, SIZE);
/** Repaint the right half. */
const mask = testMask(SIZE, SIZE, (x) => x >= SIZE / 2);
const SEED = 77;
/** diffusers' conversion script's encoder outputs `latent_sample`: no draw, so the encoding is fixed. */
const DIFFUSERS_SD15 = { family: "sd15", exporter: "diffusers" } as const;
/** A partial-strength inpainting run: at strength 1 the run starts from noise alone (diffusers). */
const request: GenerationRequest = {
  prompt: "a watercolor of a harbour",
  width: SIZE,
  height: SIZE,
  steps: 4,
  guidanceScale: 6,
  seed: SEED,
  image,
  mask,
  strength: 0.5,
};

/** The image's latents a regular UNet's run keeps and starts from, at strength 0.5, for each mode. */
async function imageLatentsFor(contents: readonly MaskedContent[]) {
  const modelDir = await tinyModelDir(DIFFUSERS_SD15);
  const logger = { info() {}, warn() {} };
  const vaeEncoder = new VaeEncoderSession(
    await createSession(modelDir, "vae_encoder/model.onnx", ["cpu"], logger),
  );
  const config = await readJsonObject(modelDir, "scheduler/scheduler_config.json", true);
  const out = new Map<MaskedContent, { latents: Float32Array; mask: Float32Array }>();
  for (const inpaintingFill of contents) {
    const scheduler = createScheduler("euler", config);
    scheduler.setTimesteps(4);
    const { beginIndex } = strengthSchedule(4, 0.5, scheduler.order);
    scheduler.setBeginIndex(beginIndex);
    const start = await prepareStart({
      width: SIZE,
      height: SIZE,
      latentChannels: 4,
      scheduler,
      firstTimestep: scheduler.timesteps[beginIndex] as number,
      generator: generatorFor(SEED, "torch_cpu"),
      image,
      mask,
      inpaintingFill,
      freshGenerator: () => generatorFor(SEED, "torch_cpu"),
      strength: 0.5,
      inpaintingUnet: false,
      vaeEncoder,
      scalingFactor: 0.18215,
    });
    if (start.blend === undefined) throw new Error("a regular UNet blends the known latents");
    out.set(inpaintingFill, { latents: start.blend.imageLatents, mask: start.blend.mask });
  }
  return out;
}

/** The values of `latents` (every channel) where `latentMask` is `masked`. */
function where(latents: Float32Array, latentMask: Float32Array, masked: 0 | 1): number[] {
  return [...latents].filter((_, i) => latentMask[i % latentMask.length] === masked);
}

describe("inpainting's masked content (A1111's inpainting_fill)", () => {
  it("changes the image's latents where masked, as each mode says, and leaves the rest alike", async () => {
    const modes = await imageLatentsFor(["original", "fill", "latent_noise", "latent_nothing"]);
    const get = (mode: MaskedContent) => modes.get(mode) as { latents: Float32Array; mask: Float32Array };
    const { mask: latentMask } = get("original");
    const masked = (mode: MaskedContent) => where(get(mode).latents, latentMask, 1);
    const kept = (mode: MaskedContent) => where(get(mode).latents, latentMask, 0);

    // fill: the masked pixels are painted over before encoding, so their latents change.
    expect(masked("fill")).not.toEqual(masked("original"));
    // latent nothing: zeros; latent noise: the seed's first draw (A1111's create_random_tensors).
    expect(masked("latent_nothing").every((x) => x === 0)).toBe(true);
    const noise = generatorFor(SEED, "torch_cpu").randn([1, 4, SIZE / 8, SIZE / 8]);
    expect(masked("latent_noise")).toEqual(where(noise, latentMask, 1));
    // Every mode but "original" encodes the filled image (as A1111), so their kept latents agree.
    expect(kept("latent_noise")).toEqual(kept("fill"));
    expect(kept("latent_nothing")).toEqual(kept("fill"));
  });

  it("changes the image a run gives, and says so in the infotext and the recipe", async () => {
    const pipeline = await loadTiny(DIFFUSERS_SD15);
    try {
      const original = (await pipeline.generate(request)).images[0];
      const nothing = (await pipeline.generate({ ...request, inpaintingFill: "latent_nothing" })).images[0];
      const rgb = (generated: typeof original) => generated?.rgb as Uint8Array;
      const repainted = (x: number) => x >= SIZE / 2 + 8;
      expect(meanAbsDiff(rgb(nothing), rgb(original), SIZE, repainted)).toBeGreaterThan(1);
      expect(original?.metadata?.parameters).not.toContain("Masked content");
      expect(nothing?.metadata?.parameters).toContain("Masked content: latent nothing");
      expect(nothing?.metadata?.recipe).toMatchObject({ task: "inpaint", inpaintingFill: "latent_nothing" });
    } finally {
      await pipeline.release();
    }
  });

  it("with a 9-channel inpainting UNet, 'fill' changes a partial-strength run", async () => {
    const pipeline = await loadTiny({ family: "sd15-inpaint" });
    try {
      const original = (await pipeline.generate(request)).images[0]?.rgb as Uint8Array;
      const filled = (await pipeline.generate({ ...request, inpaintingFill: "fill" })).images[0];
      expect(meanAbsDiff(filled?.rgb as Uint8Array, original)).toBeGreaterThan(0);
      expect(filled?.metadata?.parameters).toContain("Masked content: fill");
    } finally {
      await pipeline.release();
    }
  });
});
