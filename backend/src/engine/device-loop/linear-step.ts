/**
 * The denoising step as the device-side loop runs it (issue 19): classifier-free guidance and one
 * scheduler step, written so that a small ONNX graph can run it on the GPU with every per-step number
 * read from a table bound once per generation.
 *
 * Every scheduler sdgate serves (Euler, Euler a, DDIM, DPM++ 2M / 2M Karras / 2M SDE Karras, LCM) is,
 * for a fixed schedule, affine in what it is given: the sample `x`, the guided model output `m`
 * (epsilon, v or sample prediction alike), fresh noise `n`, and at most one carried quantity `s` (the
 * multistep solvers' previous data prediction). So one step is
 *
 *   m  = m_u + g · Σ_i w_i (m_ci − m_u)        (guidance; w = the prompt's cond weights)
 *   x' = a·x + b·m + c·s + d·n                  (the scheduler's `prevSample`)
 *   s' = p·x + q·m + r·s                         (what the next step needs of this one)
 *   x0 = u·x + v·m + w0·s                        (`predOriginalSample`, for previews)
 *
 * and the next UNet call reads `cIn' · x'` at timestep `t'`. The coefficients are computed on the host
 * in float64 from the host scheduler's own schedule, so the host path stays the reference.
 */

/** One step's numbers, in the order of a row of the coefficient table. */
export const STEP_COLUMNS = [
  "g", // guidance scale of this step
  "a",
  "b",
  "c",
  "d",
  "p",
  "q",
  "r",
  "u",
  "v",
  "w0",
  "cInNext", // the next step's model-input scale (scaleModelInput); 0 after the last step
  "tNext", // the next step's UNet timestep; 0 after the last step
] as const;

export type StepColumn = (typeof STEP_COLUMNS)[number];
export type StepCoefficients = Readonly<Record<StepColumn, number>>;

/** Columns per row of the table (`[steps, STEP_COLUMN_COUNT]`, float32). */
export const STEP_COLUMN_COUNT = STEP_COLUMNS.length;

/** A whole generation's schedule as the device loop binds it. */
export interface StepTable {
  /** `[steps, STEP_COLUMN_COUNT]`, row k holding step k's coefficients. */
  readonly table: Float32Array;
  readonly steps: number;
  /** The first UNet call's model-input scale and timestep (the host scales the start latents once). */
  readonly cIn0: number;
  readonly t0: number;
  /** Whether any step reads fresh noise (`d ≠ 0`): only then is a noise table drawn and bound. */
  readonly stochastic: boolean;
}

/** Packs per-step coefficients into the table the step graph reads. */
export function packStepTable(
  rows: readonly StepCoefficients[],
  first: { cIn0: number; t0: number },
): StepTable {
  const table = new Float32Array(rows.length * STEP_COLUMN_COUNT);
  rows.forEach((row, k) => {
    STEP_COLUMNS.forEach((column, j) => {
      table[k * STEP_COLUMN_COUNT + j] = row[column];
    });
  });
  return {
    table,
    steps: rows.length,
    cIn0: first.cIn0,
    t0: first.t0,
    stochastic: rows.some((row) => row.d !== 0),
  };
}
