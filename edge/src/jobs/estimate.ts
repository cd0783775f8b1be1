import {
  controlNetStepsPerPass,
  type ModelArchitecture,
  outputSize,
  type ResolvedGenerationRequest,
  rateImageSeconds,
  rateStepSeconds,
  refinerStepsRun,
  stepCounts,
  type TimingSource,
} from "@sdgate/shared";
import type { FleetTimings } from "./step-timings.ts";

/**
 * The backend's time to decode input images, per million base64 characters: sharp on one CPU core
 * takes 50–100 ms for PNG, JPEG and WebP (the slower end for well-compressed PNGs). It happens as the
 * request arrives, before the job queues, and is not GPU time.
 */
export const DECODE_MS_PER_MILLION_CHARS = 100;

export interface GenerationEstimate {
  /** Denoising steps the job runs per image, every pass: the contract's `stepCounts`. */
  steps: number;
  stepMs: number;
  source: TimingSource;
  /** Backends whose report the step time comes from (0 for the fallback). */
  backendsReporting: number;
  gpuSeconds: number;
  /** Decoding the input images on the backend's CPU (see {@link DECODE_MS_PER_MILLION_CHARS}). */
  decodeMs: number;
  /** The shortest wait a ready backend reports for a new job (0 when none reports one). */
  expectedWaitMs: number;
  expectedTotalMs: number;
  /** `gpuSeconds` at `gpuHourPrice`, or `null` without a price. */
  cost: number | null;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function pixelsOf(size: string): number | null {
  const match = /^(\d+)x(\d+)$/.exec(size);
  return match ? Number(match[1]) * Number(match[2]) : null;
}

/**
 * A step's time for `model` at `width × height`: the median of what backends measured at that size;
 * else each backend's nearest measured size of the model, scaled by pixel count (a UNet step's cost
 * grows about linearly with latent pixels); else the shared rate table's for the model's
 * `architecture` (`GPU_RATES`), scaled the same way.
 */
export function stepTime(
  timings: FleetTimings | null,
  model: string,
  width: number,
  height: number,
  architecture: ModelArchitecture,
): { stepMs: number; source: TimingSource; backendsReporting: number } {
  const pixels = width * height;
  const size = `${width}x${height}`;
  const reports = (timings?.backends ?? [])
    .map((backend) => backend.stepMs[model])
    .filter((r) => r !== undefined);
  const exact = reports
    .map((report) => report[size])
    .filter((ms): ms is number => ms !== undefined && ms > 0);
  const exactMs = median(exact);
  if (exactMs !== null) return { stepMs: exactMs, source: "measured", backendsReporting: exact.length };
  const scaled: number[] = [];
  for (const report of reports) {
    let nearest: { ms: number; pixels: number } | null = null;
    for (const [measuredSize, ms] of Object.entries(report)) {
      const measuredPixels = pixelsOf(measuredSize);
      if (measuredPixels === null || !(ms > 0)) continue;
      if (nearest === null || Math.abs(measuredPixels - pixels) < Math.abs(nearest.pixels - pixels)) {
        nearest = { ms, pixels: measuredPixels };
      }
    }
    if (nearest !== null) scaled.push((nearest.ms * pixels) / nearest.pixels);
  }
  const scaledMs = median(scaled);
  if (scaledMs !== null) return { stepMs: scaledMs, source: "scaled", backendsReporting: scaled.length };
  return {
    stepMs: rateStepSeconds(architecture, width, height) * 1000,
    source: "fallback",
    backendsReporting: 0,
  };
}

/** How long the backend takes to decode a request's input images (ControlNet units' too), by their base64 length. */
export function inputDecodeMs(
  request: Pick<ResolvedGenerationRequest, "image" | "mask"> &
    Partial<Pick<ResolvedGenerationRequest, "controlnet">>,
): number {
  const controlChars = (request.controlnet ?? []).reduce((sum, unit) => sum + unit.image.length, 0);
  const chars = (request.image?.length ?? 0) + (request.mask?.length ?? 0) + controlChars;
  return (chars / 1_000_000) * DECODE_MS_PER_MILLION_CHARS;
}

/**
 * GPU time, input decoding, expected queue wait and cost of a resolved request, from what the
 * backends report (else the rate table's figures for the model's `architecture`). GPU time is the
 * steps' plus each image's fixed work (text encoder, VAE) from the rate table. The cost is GPU time at
 * the GPU-hour price; decoding only adds to the time.
 *
 * @example
 * const estimate = estimateGeneration(resolved, "sdxl", await fleetTimings(registry), 2.5);
 */
export function estimateGeneration(
  request: ResolvedGenerationRequest,
  architecture: ModelArchitecture,
  timings: FleetTimings | null,
  gpuHourPrice: number | null,
): GenerationEstimate {
  const { passes, stepsPerImage: steps } = stepCounts(request);
  // ControlNet calls, in UNet steps of the same pass
  const controlSteps = controlNetStepsPerPass(request);
  const [first, ...later] = passes;
  const { stepMs, source, backendsReporting } = stepTime(
    timings,
    request.model,
    first.width,
    first.height,
    architecture,
  );
  // a refiner's steps at its own step time (its UNet, measured under its own model id)
  const refinerSteps = refinerStepsRun(request);
  const refinerStepMs =
    request.refiner === undefined
      ? 0
      : stepTime(timings, request.refiner.model, first.width, first.height, "sdxl-refiner").stepMs;
  let gpuMs = stepMs * (first.steps - refinerSteps + (controlSteps[0] ?? 0)) + refinerStepMs * refinerSteps;
  // hires' second pass, at the final size's step time
  later.forEach((pass, i) => {
    const passMs = stepTime(timings, request.model, pass.width, pass.height, architecture).stepMs;
    gpuMs += passMs * (pass.steps + (controlSteps[i + 1] ?? 0));
  });
  const { width, height } = outputSize(request);
  const gpuSeconds = (gpuMs * request.n) / 1000 + rateImageSeconds(architecture, width, height) * request.n;
  const waits = (timings?.backends ?? [])
    .filter((backend) => backend.ready && backend.estimatedWaitMs !== null)
    .map((backend) => backend.estimatedWaitMs as number);
  const expectedWaitMs = waits.length > 0 ? Math.min(...waits) : 0;
  const decodeMs = inputDecodeMs(request);
  return {
    steps,
    stepMs,
    source,
    backendsReporting,
    gpuSeconds,
    decodeMs,
    expectedWaitMs,
    expectedTotalMs: Math.round(decodeMs + expectedWaitMs + gpuSeconds * 1000),
    cost: gpuHourPrice === null ? null : (gpuSeconds / 3600) * gpuHourPrice,
  };
}
