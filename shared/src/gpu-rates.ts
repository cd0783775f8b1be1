import type { ModelArchitecture } from "./models.ts";

/**
 * What one image costs on a GPU, per model architecture: the figures `/v1/estimate` (and the Studio's
 * estimate) fall back on when no backend reports its own step times, and that the money cost
 * (`SDGATE_GPU_HOUR_PRICE`) is taken from. Each figure says where it comes from, so the README and
 * an estimate can tell a measurement from a derivation.
 */
export interface GpuRate {
  /** The image size the figures were taken at; a step's cost scales with the pixel count from it. */
  widthPx: number;
  heightPx: number;
  /** One denoising step of one image with classifier-free guidance (one UNet call on a batch of 2). */
  gpuSecondsPerStep: number;
  /** Each image's fixed work at that size: text encoding and the VAE decoder. */
  gpuSecondsPerImage: number;
  gpu: string;
  /** `false`: measured as `source` says; `true`: derived, as `source` says why. */
  estimated: boolean;
  source: string;
}

/**
 * SDXL's UNet pass at 1024×1024 over SD 1.5's at 512×512, in FLOPs: 6.76 / 0.803 TFLOP, counted
 * layer by layer from both diffusers configs by `bench/gpu/unet-flops.ts` (`unetFlops(sdxlUNet(), 128)`).
 */
export const SDXL_STEP_FLOP_RATIO = 8.42;

/**
 * The SDXL refiner's UNet pass over SDXL base's, both at 1024×1024, in FLOPs: 7.29 / 6.76 TFLOP,
 * counted by the same `bench/gpu/unet-flops.ts` (`unetFlops(sdxlRefinerUNet(), 128)` over
 * `unetFlops(sdxlUNet(), 128)`). Its parameters are fewer (2,259,526,660 vs 2,567,463,684, the
 * builder's counts: ×0.88), but a step's cost follows FLOPs, and the refiner's are higher: 384
 * channels instead of 320 at full latent resolution, and attention at 1/2 and 1/4 (depth 4 each)
 * where the base puts most of its at 1/4.
 */
export const SDXL_REFINER_STEP_FLOP_RATIO = 1.078;

const SD15_H100: GpuRate = {
  widthPx: 512,
  heightPx: 512,
  // UNet step p50 8.9 ms; 464 ms median per 50-step image, so 464 − 50 × 8.9 = 19 ms of text encoder and VAE
  gpuSecondsPerStep: 0.0089,
  gpuSecondsPerImage: 0.019,
  gpu: "NVIDIA H100 80GB HBM3",
  estimated: false,
  source:
    "docs/benchmarks.md, GPU (issue 7), 2026-11-26: `OPERATORS=fused bash scripts/gpu/run-device-bench.sh a` (bench/gpu/run.ts), SD 1.5 architecture fp16 fused graph, batch 1, 50 steps, 1 intra-op thread",
};

/**
 * The measured (or derived) rate of each architecture. SD 2.x's UNet has SD 1.5's channels and depth
 * (a 1024-wide text and linear projections change little), so it takes SD 1.5's measured figures.
 */
export const GPU_RATES: Readonly<Record<ModelArchitecture, GpuRate>> = {
  sd1: SD15_H100,
  sd2: {
    ...SD15_H100,
    estimated: true,
    source: `SD 1.5's measurement (${SD15_H100.source}): SD 2.x's UNet has SD 1.5's channels and depth`,
  },
  sdxl: {
    widthPx: 1024,
    heightPx: 1024,
    gpuSecondsPerStep: round6(SD15_H100.gpuSecondsPerStep * SDXL_STEP_FLOP_RATIO),
    // the VAE decoder's work grows with the pixels: 4× SD 1.5's at 512×512
    gpuSecondsPerImage: round6(SD15_H100.gpuSecondsPerImage * 4),
    gpu: SD15_H100.gpu,
    estimated: true,
    source: `not measured yet: SD 1.5's H100 step × ${SDXL_STEP_FLOP_RATIO}, SDXL's UNet FLOPs at 1024² over SD 1.5's at 512² (bench/gpu/unet-flops.ts), assuming the same share of the GPU's peak (SD 1.5 at 512² reaches 18 %; SDXL's larger kernels likely reach more, so this is an upper bound); fixed cost 4× SD 1.5's (the VAE at 4× the pixels)`,
  },
  "sdxl-refiner": {
    widthPx: 1024,
    heightPx: 1024,
    gpuSecondsPerStep: round6(
      SD15_H100.gpuSecondsPerStep * SDXL_STEP_FLOP_RATIO * SDXL_REFINER_STEP_FLOP_RATIO,
    ),
    // one text encoder (bigG) of SDXL's two and the same VAE: SDXL's fixed cost is a close upper bound
    gpuSecondsPerImage: round6(SD15_H100.gpuSecondsPerImage * 4),
    gpu: SD15_H100.gpu,
    estimated: true,
    source: `not measured yet: SDXL's derived step × ${SDXL_REFINER_STEP_FLOP_RATIO}, the refiner UNet's FLOPs at 1024² over SDXL base's (bench/gpu/unet-flops.ts), at the same share of the GPU's peak; fixed cost SDXL's (the same VAE, one of its two text encoders)`,
  },
};

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * A step's GPU-seconds for one image of `architecture` at `width × height`: the rate's step, scaled
 * by pixel count (a UNet step's cost grows about linearly with latent pixels).
 *
 * @example
 * rateStepSeconds("sdxl", 1024, 1024) // 0.074938
 */
export function rateStepSeconds(architecture: ModelArchitecture, width: number, height: number): number {
  const rate = GPU_RATES[architecture];
  return (rate.gpuSecondsPerStep * width * height) / (rate.widthPx * rate.heightPx);
}

/**
 * One image's fixed GPU-seconds (text encoding, VAE decoding) of `architecture` at `width × height`.
 *
 * @example
 * rateImageSeconds("sd1", 512, 512) // 0.019
 */
export function rateImageSeconds(architecture: ModelArchitecture, width: number, height: number): number {
  const rate = GPU_RATES[architecture];
  return (rate.gpuSecondsPerImage * width * height) / (rate.widthPx * rate.heightPx);
}

/**
 * How much a pixel-step of `architecture` costs against SD 1.5's, from the rate table: what the
 * edge's credits scale by (`estimateCost`'s `modelFactor`).
 *
 * @example
 * stepCostRatio("sdxl") // ≈ 2.1: a 1024² SDXL step costs 8.4 512² SD 1.5 steps, over 4× the pixels
 */
export function stepCostRatio(architecture: ModelArchitecture): number {
  return rateStepSeconds(architecture, 512, 512) / rateStepSeconds("sd1", 512, 512);
}
