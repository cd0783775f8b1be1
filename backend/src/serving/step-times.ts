import { type StepCountFields, stepCounts } from "@sdgate/shared";

/** Weight of the newest measurement in the moving average. */
const EWMA_ALPHA = 0.2;
/** Before anything is measured: a guess of one 512×512 image-step on CPU, scaled by pixels. */
const DEFAULT_MS_PER_MEGAPIXEL_STEP = 400;

/**
 * Milliseconds per denoising step per image, by model and size, as an exponentially weighted moving
 * average of what batches measured (a batched step is shared by its images). The edge reads these
 * from `/readyz` to quote `POST /v1/estimate`, and the queue uses them to estimate waits.
 */
export class StepTimes {
  readonly #ewma = new Map<string, Map<string, number>>();

  record(model: string, width: number, height: number, msPerImageStep: number): void {
    if (!(msPerImageStep > 0) || !Number.isFinite(msPerImageStep)) return;
    let sizes = this.#ewma.get(model);
    if (sizes === undefined) {
      sizes = new Map();
      this.#ewma.set(model, sizes);
    }
    const key = `${width}x${height}`;
    const previous = sizes.get(key);
    sizes.set(
      key,
      previous === undefined ? msPerImageStep : previous + EWMA_ALPHA * (msPerImageStep - previous),
    );
  }

  /** The measured value, else this model's nearest measured size scaled by pixels, else a default. */
  estimate(model: string, width: number, height: number): number {
    return (
      this.measured(model, width, height) ?? (DEFAULT_MS_PER_MEGAPIXEL_STEP * width * height) / 1_000_000
    );
  }

  /**
   * Denoising time of a whole request: each pass of the contract's step counts at its own size's
   * step time (a hires pass is larger), for each of its images.
   */
  requestMs(request: StepCountFields & { model: string }): number {
    const { passes } = stepCounts(request);
    let ms = 0;
    for (const pass of passes) ms += this.estimate(request.model, pass.width, pass.height) * pass.steps;
    return ms * request.n;
  }

  /** The measured value, else a measured size of this model scaled by pixels; `undefined` when none is measured. */
  measured(model: string, width: number, height: number): number | undefined {
    const sizes = this.#ewma.get(model);
    const exact = sizes?.get(`${width}x${height}`);
    if (exact !== undefined) return exact;
    for (const [key, ms] of sizes ?? []) {
      const [w, h] = key.split("x").map(Number) as [number, number];
      return (ms * width * height) / (w * h);
    }
    return undefined;
  }

  /** `{ model: { "512x512": ms } }`, rounded to 0.01 ms. */
  snapshot(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [model, sizes] of this.#ewma) {
      out[model] = Object.fromEntries([...sizes].map(([size, ms]) => [size, Math.round(ms * 100) / 100]));
    }
    return out;
  }
}
