import { join } from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { readJsonObject } from "../loading/model-files.ts";
import { createSession } from "../models/onnx-session.ts";
import { TextEncoderSession } from "../models/text-encoder.ts";
import { UNetSession } from "../models/unet.ts";
import { VaeEncoderSession } from "../models/vae-encoder.ts";
import { createScheduler } from "../schedulers/index.ts";
import { loadTiny, meanAbsDiff, testMask, testPattern, tinyModelDir } from "../test-models.ts";
import type { GenerationRequest } from "../types.ts";
import { denoise } from "./denoise.ts";
import { generatorFor } from "./noise-source.ts";
import { prepareStart } from "./start-latents.ts";
import { decodedToRgb } from "./tensor-math.ts";

const SIZE = 64;
const image = testPattern(SIZE, SIZE);
/** Repaint the right half. */
const mask = testMask(SIZE, SIZE, (x) => x >= SIZE / 2);
const request: GenerationRequest = {
  prompt: "a watercolor of a harbour",
  width: SIZE,
  height: SIZE,
  steps: 20,
  guidanceScale: 6,
  seed: 77,
};
/** diffusers' conversion script's encoder outputs `latent_sample`: no draw, so the round trip is fixed. */
const DIFFUSERS_SD15 = { family: "sd15", exporter: "diffusers" } as const;

/** decode(encode(image)) with the tiny VAE: what the pipeline can at best give back. */
async function vaeRoundTrip(modelDir: string): Promise<Uint8Array> {
  const encoder = await InferenceSession.create(join(modelDir, "vae_encoder/model.onnx"));
  const decoder = await InferenceSession.create(join(modelDir, "vae_decoder/model.onnx"));
  const plane = SIZE * SIZE;
  const pixels = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++)
    for (let c = 0; c < 3; c++) pixels[c * plane + i] = ((image.rgb[i * 3 + c] as number) / 255) * 2 - 1;
  const encoded = await encoder.run({ sample: new Tensor("float32", pixels, [1, 3, SIZE, SIZE]) });
  const latents = Object.values(encoded)[0]?.data as Float32Array;
  const decoded = await decoder.run({
    latent_sample: new Tensor("float32", latents.slice(0, 4 * (plane / 64)), [1, 4, SIZE / 8, SIZE / 8]),
  });
  return decodedToRgb(Object.values(decoded)[0]?.data as Float32Array, SIZE, SIZE);
}

describe("image to image", () => {
  it("stays close to the input at low strength and departs from it at strength 1", async () => {
    const pipeline = await loadTiny(DIFFUSERS_SD15);
    try {
      const reference = await vaeRoundTrip(await tinyModelDir(DIFFUSERS_SD15));
      const steps: number[] = [];
      // get_timesteps: int(10 × 0.1) = 1 denoising step, from the last timestep (the tiny random UNet
      // is no real denoiser, so each further step moves the image away).
      const low = await pipeline.generate(
        { ...request, steps: 10, image, strength: 0.1 },
        { onProgress: (p) => steps.push(p.steps) },
      );
      const full = await pipeline.generate({ ...request, steps: 10, image, strength: 1 });
      expect(steps).toEqual([1]);
      const lowDistance = meanAbsDiff(low.images[0]?.rgb as Uint8Array, reference);
      expect(lowDistance).toBeLessThan(meanAbsDiff(full.images[0]?.rgb as Uint8Array, reference) / 1.5);
      expect(low.images[0]?.metadata?.parameters).toContain("Denoising strength: 0.1");
      expect(low.images[0]?.metadata?.recipe).toMatchObject({ task: "img2img", strength: 0.1 });
    } finally {
      await pipeline.release();
    }
  });

  it("samples optimum's latent_parameters with the seed's generator: the same seed, the same image", async () => {
    const pipeline = await loadTiny({ family: "sd15", exporter: "optimum" });
    try {
      const [a, b, other] = await Promise.all(
        [77, 77, 78].map(
          async (seed) =>
            (await pipeline.generate({ ...request, steps: 4, image, seed, strength: 0.5 })).images[0]?.rgb,
        ),
      );
      expect(Buffer.from(a as Uint8Array).equals(Buffer.from(b as Uint8Array))).toBe(true);
      expect(meanAbsDiff(a as Uint8Array, other as Uint8Array)).toBeGreaterThan(0);
    } finally {
      await pipeline.release();
    }
  });
});

describe("inpainting", () => {
  it("with a regular UNet, keeps the original latents exactly where the mask is black", async () => {
    const modelDir = await tinyModelDir(DIFFUSERS_SD15);
    const providers = ["cpu"];
    const logger = { info() {}, warn() {} };
    const unet = new UNetSession(await createSession(modelDir, "unet/model.onnx", providers, logger));
    const vaeEncoder = new VaeEncoderSession(
      await createSession(modelDir, "vae_encoder/model.onnx", providers, logger),
    );
    const textEncoder = new TextEncoderSession(
      await createSession(modelDir, "text_encoder/model.onnx", providers, logger),
      {
        penultimate: false,
        pooled: false,
      },
    );
    const text = await textEncoder.encode(new Array(77).fill(0));
    const scheduler = createScheduler(
      "euler",
      await readJsonObject(modelDir, "scheduler/scheduler_config.json", true),
    );
    scheduler.setTimesteps(4);
    const generator = generatorFor(5, "torch_cpu");
    const start = await prepareStart({
      width: SIZE,
      height: SIZE,
      latentChannels: 4,
      scheduler,
      firstTimestep: scheduler.timesteps[0] as number,
      generator,
      image,
      mask,
      inpaintingFill: "original",
      freshGenerator: () => generatorFor(5, "torch_cpu"),
      strength: 1,
      inpaintingUnet: false,
      vaeEncoder,
      scalingFactor: 0.18215,
    });
    const latents = await denoise({
      unet,
      scheduler,
      timesteps: scheduler.timesteps,
      start,
      latentDims: [1, 4, SIZE / 8, SIZE / 8],
      conditioning: [
        {
          endAtStep: scheduler.timesteps.length,
          conditioning: { batch: 1, context: text.hidden, contextDims: text.dims },
        },
      ],
      guidanceScale: 1,
      generator,
      afterStep() {},
    });
    const known = start.blend?.imageLatents as Float32Array;
    const latentMask = start.blend?.mask as Float32Array;
    let kept = 0;
    for (let i = 0; i < latents.length; i++) {
      if (latentMask[i % latentMask.length] === 0) {
        expect(latents[i]).toBe(known[i]);
        kept++;
      } else {
        expect(latents[i]).not.toBe(known[i]);
      }
    }
    expect(kept).toBe(latents.length / 2);
  });

  it("with a regular UNet, the kept half stays nearer the original than the repainted half", async () => {
    const pipeline = await loadTiny(DIFFUSERS_SD15);
    try {
      const reference = await vaeRoundTrip(await tinyModelDir(DIFFUSERS_SD15));
      const { images } = await pipeline.generate({ ...request, steps: 8, image, mask });
      const out = images[0]?.rgb as Uint8Array;
      const kept = meanAbsDiff(out, reference, SIZE, (x) => x < SIZE / 2 - 8);
      const repainted = meanAbsDiff(out, reference, SIZE, (x) => x >= SIZE / 2 + 8);
      expect(kept).toBeLessThan(repainted);
      expect(images[0]?.metadata?.recipe).toMatchObject({ task: "inpaint", strength: 1, masked: true });
    } finally {
      await pipeline.release();
    }
  });

  it("with a 9-channel inpainting UNet: inpaints, and repaints everything without a mask", async () => {
    const pipeline = await loadTiny({ family: "sd15-inpaint" });
    try {
      const inpainted = await pipeline.generate({ ...request, steps: 4, image, mask });
      const again = await pipeline.generate({ ...request, steps: 4, image, mask });
      const fromText = await pipeline.generate({ ...request, steps: 4 });
      const rgb = inpainted.images[0]?.rgb as Uint8Array;
      expect(Buffer.from(rgb).equals(Buffer.from(again.images[0]?.rgb as Uint8Array))).toBe(true);
      expect(meanAbsDiff(rgb, fromText.images[0]?.rgb as Uint8Array)).toBeGreaterThan(0);
      const partial = await pipeline.generate({ ...request, steps: 4, image, mask, strength: 0.5 });
      expect(meanAbsDiff(rgb, partial.images[0]?.rgb as Uint8Array)).toBeGreaterThan(0);
    } finally {
      await pipeline.release();
    }
  });
});
