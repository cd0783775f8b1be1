import { z } from "zod";
import { MODEL_ARCHITECTURES } from "./models.ts";

/**
 * Where an estimate's step time comes from: backends' measurements at the request's size, measurements
 * at another size scaled by pixel count, or the documented fallback when no backend reports the model.
 */
export const TIMING_SOURCES = ["measured", "scaled", "fallback"] as const;
export type TimingSource = (typeof TIMING_SOURCES)[number];

/**
 * `POST /v1/estimate`: what a generation request would cost without running it.
 *
 * @example
 * const { gpu_seconds, credits } = estimateSchema.parse(await response.json());
 */
export const estimateSchema = z.object({
  object: z.literal("generation.estimate"),
  model: z.string(),
  /** The images' size, `WxH` (after hires, when asked for). */
  size: z.string(),
  n: z.number().int().min(1),
  /** Denoising steps each image runs, every pass (`stepCounts`): 0 for img2img at a tiny strength. */
  steps: z.number().int().min(0),
  step_ms: z.number().min(0),
  timing_source: z.enum(TIMING_SOURCES),
  /** Backends whose reports `step_ms` comes from (0 for the fallback). */
  backends_reporting: z.number().int().min(0),
  gpu_seconds: z.number().min(0),
  /** The shortest queue wait a ready backend reports (0 when none reports one). */
  expected_wait_ms: z.number().min(0),
  /** Input decoding, queue wait and GPU time together. */
  expected_total_ms: z.number().min(0),
  /** `SDGATE_GPU_HOUR_PRICE`; `null` when the server sets none. */
  gpu_hour_price: z.number().nullable(),
  /** `gpu_seconds` at `gpu_hour_price`; `null` without a price. */
  cost: z.number().nullable(),
  /**
   * The rate table's row for the model's architecture (`GPU_RATES`): each image's fixed GPU time
   * always, and the step time when `timing_source` is `fallback`, come from it. `estimated: true`
   * says its figures are derived (`source` says how), not measured.
   */
  rate: z.object({
    architecture: z.enum(MODEL_ARCHITECTURES),
    gpu: z.string(),
    estimated: z.boolean(),
    source: z.string(),
  }),
  /** What the request would reserve from the key's credit budget. */
  credits: z.number().min(0),
  /** Whether the synchronous route would answer it as a job (`expected_total_ms` > `auto_async_ms`). */
  async: z.boolean(),
  auto_async_ms: z.number().min(0),
});
/**
 * A priced request.
 *
 * @example
 * const { gpu_seconds, expected_total_ms, credits }: Estimate = await client.estimate({ prompt: "x" });
 */
export type Estimate = z.infer<typeof estimateSchema>;
