import { STEP_COLUMNS, type StepCoefficients } from "./linear-step.ts";

export interface LinearStepInput {
  /** `[uncond, cond_1 … cond_N]` stacked along the batch axis, or the plain prediction when N = 0. */
  noisePred: ArrayLike<number>;
  sample: ArrayLike<number>;
  state: ArrayLike<number>;
  /** This step's noise, or undefined for a step that reads none. */
  noise?: ArrayLike<number>;
  /** The N prompt weights `w_i`; empty for no guidance (then `g` is ignored). */
  condWeights: readonly number[];
  row: StepCoefficients;
}

export interface LinearStepOutput {
  nextSample: Float64Array;
  nextState: Float64Array;
  denoised: Float64Array;
}

/**
 * The device loop's step (linear-step.ts) in float64, as the reference the step graph and the
 * coefficient tables are tested against: guidance, then the affine update.
 */
export function applyLinearStep(input: LinearStepInput): LinearStepOutput {
  const { noisePred, sample, state, noise, condWeights, row } = input;
  const size = sample.length;
  const nextSample = new Float64Array(size);
  const nextState = new Float64Array(size);
  const denoised = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const uncond = noisePred[i] as number;
    let m = uncond;
    condWeights.forEach((weight, k) => {
      m += row.g * weight * ((noisePred[(k + 1) * size + i] as number) - uncond);
    });
    const x = sample[i] as number;
    const s = state[i] as number;
    const n = noise === undefined ? 0 : (noise[i] as number);
    nextSample[i] = row.a * x + row.b * m + row.c * s + row.d * n;
    nextState[i] = row.p * x + row.q * m + row.r * s;
    denoised[i] = row.u * x + row.v * m + row.w0 * s;
  }
  return { nextSample, nextState, denoised };
}

/** Row k of a packed table (`StepTable.table`) back as named coefficients. */
export function tableRow(table: Float32Array, k: number): StepCoefficients {
  return Object.fromEntries(
    STEP_COLUMNS.map((column, j) => [column, table[k * STEP_COLUMNS.length + j] as number]),
  ) as StepCoefficients;
}
