import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../logger.ts";
import { OrtRuntime } from "../../native-ort/runtime.ts";
import { createSession } from "../models/onnx-session.ts";
import { UNetSession } from "../models/unet.ts";
import { applyGuidance } from "../pipelines/tensor-math.ts";
import { createGenerator } from "../rng/torch-generator.ts";
import { createScheduler } from "../schedulers/index.ts";
import { tinyModelDir } from "../test-models.ts";
import { DeviceDenoiser } from "./device-denoiser.ts";
import { relativeError } from "./loop-test-support.ts";
import { buildStepTable } from "./step-coefficients.ts";
import { drawStepNoise, drawsStepNoise } from "./step-noise.ts";

const LATENT_DIMS = [1, 4, 8, 8] as const;
const CONTEXT_DIMS = [2, 77, 32] as const;
const GUIDANCE = 7.5;
const STEPS = 6;
/** The tiny model's `scheduler_config.json`, with SD 1.5's `clip_sample: false` (DDIM's default clamps). */
let config: Record<string, unknown> = {};

/** A deterministic text conditioning: `[uncond, cond]`, group-major as the device loop reads it. */
function context(): Float32Array {
  const values = new Float32Array(CONTEXT_DIMS[0] * CONTEXT_DIMS[1] * CONTEXT_DIMS[2]);
  return values.map((_, i) => Math.sin(i * 0.37) * (i < values.length / 2 ? 0.5 : 1));
}

function startLatents(seed: number, sigma: number): Float32Array {
  const noise = createGenerator(seed).randn([...LATENT_DIMS]);
  return noise.map((value) => value * sigma);
}

/** diffusers' loop on the host (pipelines/denoise.ts, with onnxruntime-node): the reference. */
async function hostLoop(unet: UNetSession, schedulerName: string, seed: number): Promise<Float32Array> {
  const scheduler = createScheduler(schedulerName, config);
  scheduler.setTimesteps(STEPS);
  let latents = startLatents(seed, scheduler.initNoiseSigma);
  const generator = createGenerator(seed + 1);
  for (const t of scheduler.timesteps) {
    const scaled = scheduler.scaleModelInput(latents, t);
    const sample = new Float32Array(scaled.length * 2);
    sample.set(scaled);
    sample.set(scaled, scaled.length);
    const prediction = await unet.predict({
      sample,
      sampleDims: [2, 4, 8, 8],
      timestep: t,
      context: context(),
      contextDims: CONTEXT_DIMS,
    });
    latents = scheduler.step(
      applyGuidance(prediction, GUIDANCE),
      t,
      latents,
      generator,
      LATENT_DIMS,
    ).prevSample;
  }
  return latents;
}

describe("the device loop (native binding, CPU provider)", () => {
  let denoiser: DeviceDenoiser;
  let unet: UNetSession;

  beforeAll(async () => {
    const dir = await tinyModelDir();
    config = {
      ...JSON.parse(readFileSync(`${dir}/scheduler/scheduler_config.json`, "utf8")),
      clip_sample: false,
    };
    denoiser = new DeviceDenoiser({
      runtime: OrtRuntime.shared(),
      unetPath: `${dir}/unet/model.onnx`,
      vaePath: `${dir}/vae_decoder/model.onnx`,
      session: { intraOpNumThreads: 1 },
      scalingFactor: 0.18215,
    });
    unet = new UNetSession(await createSession(dir, "unet/model.onnx", ["cpu"], silentLogger));
  });
  afterAll(() => denoiser?.release());

  for (const schedulerName of ["euler_a", "dpmpp_2m_karras", "ddim"]) {
    it(`follows the host loop's trajectory with ${schedulerName}`, async () => {
      const seed = 42;
      const scheduler = createScheduler(schedulerName, config);
      scheduler.setTimesteps(STEPS);
      const table = buildStepTable(scheduler, { guidanceScale: GUIDANCE });
      const noise = drawsStepNoise(scheduler)
        ? drawStepNoise(scheduler, createGenerator(seed + 1), LATENT_DIMS)
        : undefined;
      const progress: number[] = [];
      const result = await denoiser.denoise({
        latents: startLatents(seed, scheduler.initNoiseSigma),
        latentDims: LATENT_DIMS,
        context: context(),
        contextDims: CONTEXT_DIMS,
        condWeights: [1],
        table,
        ...(noise === undefined ? {} : { noise }),
        afterStep: (done) => progress.push(done),
      });
      const expected = await hostLoop(unet, schedulerName, seed);
      expect(relativeError(result.latents, expected)).toBeLessThan(1e-4);
      expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    });
  }

  it("decodes the final latents in place, as the host's VAE would", async () => {
    const scheduler = createScheduler("euler", config);
    scheduler.setTimesteps(STEPS);
    const result = await denoiser.denoise({
      latents: startLatents(7, scheduler.initNoiseSigma),
      latentDims: LATENT_DIMS,
      context: context(),
      contextDims: CONTEXT_DIMS,
      condWeights: [1],
      table: buildStepTable(scheduler, { guidanceScale: GUIDANCE }),
      decode: true,
    });
    expect(result.imageDims).toEqual([1, 3, 64, 64]);
    const dir = await tinyModelDir();
    const vae = await createSession(dir, "vae_decoder/model.onnx", ["cpu"], silentLogger);
    const { Tensor } = await import("onnxruntime-node");
    const scaled = result.latents.map((value) => value / 0.18215);
    const out = await vae.session.run({ latent_sample: new Tensor("float32", scaled, [1, 4, 8, 8]) });
    const expected = out[vae.session.outputNames[0] as string]?.data as Float32Array;
    expect(relativeError(result.image ?? new Float32Array(), expected)).toBeLessThan(1e-5);
  });

  it("reuses a bucket's buffers across generations and stops when asked", async () => {
    const scheduler = createScheduler("euler", config);
    scheduler.setTimesteps(STEPS);
    const request = {
      latents: startLatents(3, scheduler.initNoiseSigma),
      latentDims: LATENT_DIMS,
      context: context(),
      contextDims: CONTEXT_DIMS,
      condWeights: [1],
      table: buildStepTable(scheduler, { guidanceScale: GUIDANCE }),
    };
    const first = await denoiser.denoise(request);
    const second = await denoiser.denoise(request);
    expect(second.latents).toEqual(first.latents);
    const stop = new Error("cancelled");
    await expect(
      denoiser.denoise({
        ...request,
        afterStep: (done) => {
          if (done === 2) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    expect((await denoiser.denoise(request)).latents).toEqual(first.latents);
    // callers that do not wait for each other take turns on the bucket's tensors
    const other = { ...request, latents: startLatents(4, scheduler.initNoiseSigma) };
    const alone = await denoiser.denoise(other);
    const [a, b, c] = await Promise.all([
      denoiser.denoise(request),
      denoiser.denoise(other),
      denoiser.denoise(request),
    ]);
    expect(a.latents).toEqual(first.latents);
    expect(b.latents).toEqual(alone.latents);
    expect(c.latents).toEqual(first.latents);
  });

  it("names the field a request gets wrong", async () => {
    const scheduler = createScheduler("euler_a", config);
    scheduler.setTimesteps(STEPS);
    const base = {
      latents: startLatents(3, 1),
      latentDims: LATENT_DIMS,
      context: context(),
      contextDims: CONTEXT_DIMS,
      condWeights: [1],
      table: buildStepTable(scheduler, { guidanceScale: GUIDANCE }),
    };
    await expect(denoiser.denoise(base)).rejects.toThrow(/`noise` is needed/);
    await expect(denoiser.denoise({ ...base, condWeights: [1, 1] })).rejects.toThrow(/`contextDims`/);
    await expect(denoiser.denoise({ ...base, latents: new Float32Array(3) })).rejects.toThrow(/`latents`/);
  });
});
