import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.ts";
import { componentsOf } from "../loading/load-pipeline.ts";
import { createScheduler } from "../schedulers/index.ts";
import { loadTiny, maxAbsDiff, spread, testPattern } from "../test-models.ts";
import type { GenerationProgress, GenerationRequest, Pipeline } from "../types.ts";
import { DEFAULT_AESTHETIC_SCORES } from "./aesthetic-score.ts";
import { conditioningAt, encodeConditioningSchedule } from "./conditioning-schedule.ts";
import { decodeLatents } from "./decode-latents.ts";
import { generatorFor } from "./noise-source.ts";
import { refinerSwitchStep } from "./refiner-switch.ts";
import { prepareStart } from "./start-latents.ts";
import { applyGuidance, repeatBatch } from "./tensor-math.ts";
import { conditioningRequestOf } from "./text-conditioning.ts";
import { resolveRequest } from "./validate.ts";

const STEPS = 4;
const request: GenerationRequest = {
  prompt: "a lighthouse on a cliff at dusk",
  negativePrompt: "blurry",
  width: 64,
  height: 64,
  steps: STEPS,
  guidanceScale: 5,
  seed: 11,
};
const rgbOf = (result: { images: { rgb: Uint8Array }[] }) => result.images[0]?.rgb as Uint8Array;

/**
 * The switch written out without `denoise`: one scheduler and generator, the base's UNet and prompts
 * for steps [0, k), the refiner's for [k, n), then the refiner's VAE.
 */
async function handDriven(base: Pipeline, refiner: Pipeline, k: number): Promise<Uint8Array> {
  const [b, r] = [componentsOf(base), componentsOf(refiner)];
  const resolved = resolveRequest(request, b.limits);
  const seed = resolved.seeds[0] as number;
  const scheduler = createScheduler(resolved.scheduler, b.schedulerConfig);
  scheduler.setTimesteps(STEPS);
  const generator = generatorFor(seed, resolved.rng);
  const start = await prepareStart({
    width: 64,
    height: 64,
    latentChannels: 4,
    scheduler,
    firstTimestep: scheduler.timesteps[0] as number,
    generator,
    image: undefined,
    mask: undefined,
    inpaintingFill: "original",
    freshGenerator: () => generatorFor(seed, resolved.rng),
    strength: null,
    inpaintingUnet: false,
    vaeEncoder: undefined,
    scalingFactor: b.scalingFactor,
  });
  const encode = async (c: typeof b, aestheticScores?: typeof DEFAULT_AESTHETIC_SCORES) =>
    (
      await encodeConditioningSchedule(
        c.text,
        { ...conditioningRequestOf(c.text, resolved), aestheticScores },
        STEPS,
      )
    ).entries;
  const [baseConditioning, refinerConditioning] = [
    await encode(b),
    await encode(r, DEFAULT_AESTHETIC_SCORES),
  ];
  let latents = start.latents;
  const dims = [1, 4, 8, 8] as const;
  for (let i = 0; i < STEPS; i++) {
    const [unet, schedule] = i < k ? [b.unet, baseConditioning] : [r.unet, refinerConditioning];
    const conditioning = conditioningAt(schedule, i);
    const t = scheduler.timesteps[i] as number;
    const scaled = scheduler.scaleModelInput(latents, t);
    const prediction = await unet.predict({
      sample: repeatBatch(scaled, 2),
      sampleDims: [2, 4, 8, 8],
      timestep: t,
      context: conditioning.context,
      contextDims: conditioning.contextDims,
      textEmbeds: conditioning.textEmbeds as Float32Array,
      timeIds: conditioning.timeIds as Float32Array,
    });
    latents = scheduler.step(applyGuidance(prediction, 5), t, latents, generator, dims).prevSample;
  }
  const decoder = k < STEPS ? r : b;
  return decodeLatents(decoder.vaeDecoder, latents, dims, decoder.scalingFactor, 64, 64);
}

describe("refiner switch at (A1111's refiner_switch_at)", () => {
  let base: Pipeline;
  let refiner: Pipeline;
  let baseOnly: Uint8Array;
  beforeAll(async () => {
    [base, refiner] = await Promise.all([loadTiny({ family: "sdxl" }), loadTiny({ family: "sdxl-refiner" })]);
    baseOnly = rgbOf(await base.generate(request));
  });
  afterAll(async () => {
    await Promise.all([base.release(), refiner.release()]);
  });

  it("gives the base-only image when the switch step is the last (k = n)", async () => {
    // SDXL's Euler, leading: t = 751, 501, 251, 1; (999 − 1) / 1000 = 0.998 < 0.999
    const timesteps = createScheduler("euler", componentsOf(base).schedulerConfig);
    timesteps.setTimesteps(STEPS);
    expect(refinerSwitchStep(timesteps.timesteps, 0.999)).toBe(STEPS);
    // the refiner's aesthetic score changes nothing of the base's steps
    const scored = { ...request, aestheticScore: 7.5 };
    const result = await base.generate(scored, { refiner: { pipeline: refiner, switchAt: 0.999 } });
    expect(maxAbsDiff(rgbOf(result), baseOnly)).toBe(0);
    // A1111 writes the refiner only once it switched; the recipe keeps the setting and the score given
    expect(result.images[0]?.metadata?.parameters).not.toContain("Refiner");
    expect(result.images[0]?.metadata?.recipe.refiner).toMatchObject({
      switchAt: 0.999,
      switched: false,
      aestheticScore: 7.5,
    });
    expect(result.images[0]?.metadata?.recipe.refiner).not.toHaveProperty("negativeAestheticScore");
  });

  it("runs base steps then refiner steps on one scheduler: equal to the loop by hand, unlike either model alone", async () => {
    const progress: GenerationProgress[] = [];
    const result = await base.generate(request, {
      refiner: { pipeline: refiner, switchAt: 0.5, switchBy: "steps" },
      onProgress: (p) => progress.push(p),
    });
    const switched = rgbOf(result);
    expect(spread(switched)).toBeGreaterThan(10);
    expect(maxAbsDiff(switched, baseOnly)).toBeGreaterThan(0);
    expect(maxAbsDiff(switched, rgbOf(await refiner.generate(request)))).toBeGreaterThan(0);
    expect(maxAbsDiff(switched, await handDriven(base, refiner, 2))).toBe(0);
    expect(maxAbsDiff(switched, await handDriven(base, refiner, 1))).toBeGreaterThan(0);
    expect(progress.map((p) => `${p.step}/${p.steps}`)).toEqual(["1/4", "2/4", "3/4", "4/4"]);
    // by timestep (A1111's default): 0.5 switches after t = 501 ((999 − 501) / 1000 = 0.498), at step 2 too
    const byTimestep = await base.generate(request, { refiner: { pipeline: refiner, switchAt: 0.5 } });
    expect(maxAbsDiff(rgbOf(byTimestep), switched)).toBe(0);
  });

  it("writes A1111's Refiner and Refiner switch at into the infotext, and the recipe", async () => {
    const result = await base.generate(request, {
      refiner: { pipeline: refiner, switchAt: 0.5, switchBy: "steps" },
    });
    const metadata = result.images[0]?.metadata;
    const name = componentsOf(refiner).model.name;
    expect(metadata?.parameters).toContain(
      `Refiner: ${name} [${refiner.modelHash}], Refiner switch at: 0.5, Refiner switch by sampling steps: True`,
    );
    expect(metadata?.recipe.refiner).toEqual({
      name,
      hash: refiner.modelHash,
      family: "sdxl-refiner",
      switchAt: 0.5,
      switchBy: "steps",
      switched: true,
    });
  });

  it("takes the aesthetic scores for the refiner: other scores, another image", async () => {
    const options = { refiner: { pipeline: refiner, switchAt: 0.5 } };
    const byDefault = rgbOf(await base.generate(request, options));
    const scored = rgbOf(await base.generate({ ...request, aestheticScore: 9.5 }, options));
    expect(maxAbsDiff(byDefault, scored)).toBeGreaterThan(0);
  });

  it("refines an img2img run too: the switch falls among the steps the strength leaves", async () => {
    const img2img = { ...request, steps: 8, image: testPattern(64, 64), strength: 0.5 };
    const progress: number[] = [];
    const options = { refiner: { pipeline: refiner, switchAt: 0.5, switchBy: "steps" as const } };
    const refined = await base.generate(img2img, { ...options, onProgress: (p) => progress.push(p.step) });
    // 4 steps run; the refiner takes the last 2
    expect(progress).toEqual([1, 2, 3, 4]);
    expect(maxAbsDiff(rgbOf(refined), rgbOf(await base.generate(img2img)))).toBeGreaterThan(0);
    expect(refined.images[0]?.metadata?.parameters).toContain("Refiner switch at: 0.5");
  });

  it("refuses a bad switchAt by name, as a 400", async () => {
    for (const switchAt of [0, 1, 1.2, Number.NaN]) {
      const refused = base.generate(request, { refiner: { pipeline: refiner, switchAt } });
      await expect(refused).rejects.toThrow(InvalidArgumentError);
      await expect(refused).rejects.toThrow(/refiner\.switchAt/);
    }
    await expect(
      base.generate({ ...request, hires: { scale: 1.5 } }, { refiner: { pipeline: refiner, switchAt: 0.5 } }),
    ).rejects.toThrow(/hires\.scale/);
  });
});
