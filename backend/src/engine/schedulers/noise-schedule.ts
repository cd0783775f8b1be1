/**
 * The training noise schedule shared by diffusers' discrete schedulers, computed in float32 the way
 * torch computes it, so sigmas agree with diffusers to the last bit or within one ulp.
 */
const { fround } = Math;

export type BetaSchedule = "linear" | "scaled_linear" | "squaredcos_cap_v2";

/**
 * `torch.linspace(start, end, steps, dtype=torch.float32)` on the CPU: torch fills from the start for
 * the first half and from the end for the second, 8 lanes at a time (AVX2's `Vectorized<float>::arange`,
 * aten/src/ATen/native/cpu/RangeFactoriesKernel.cpp); with AVX-512 lanes the last bit of a few
 * values could differ.
 */
export function torchLinspaceFloat32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 1) {
    out[0] = start;
    return out;
  }
  const startF = fround(start);
  const endF = fround(end);
  const step = fround(fround(endF - startF) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  const lanes = 8;
  const vectorEnd = steps - (steps % (2 * lanes));
  for (let base = 0; base < vectorEnd; base += lanes) {
    const first =
      base < halfway
        ? fround(startF + fround(step * base))
        : fround(endF - fround(step * (steps - base - 1)));
    for (let k = 0; k < lanes; k++) out[base + k] = fround(first + fround(k * step));
  }
  for (let i = vectorEnd; i < steps; i++) {
    out[i] = i < halfway ? fround(startF + fround(step * i)) : fround(endF - fround(step * (steps - i - 1)));
  }
  return out;
}

/** `betas` as diffusers builds them for each `beta_schedule`. */
export function makeBetas(
  schedule: BetaSchedule,
  betaStart: number,
  betaEnd: number,
  trainTimesteps: number,
): Float32Array {
  switch (schedule) {
    case "linear":
      return torchLinspaceFloat32(betaStart, betaEnd, trainTimesteps);
    case "scaled_linear":
      return torchLinspaceFloat32(Math.sqrt(betaStart), Math.sqrt(betaEnd), trainTimesteps).map((b) =>
        fround(b * b),
      );
    case "squaredcos_cap_v2":
      return cosineBetas(trainTimesteps);
  }
}

/** `betas_for_alpha_bar` with the cosine alpha-bar (Nichol & Dhariwal 2021), max beta 0.999. */
function cosineBetas(trainTimesteps: number): Float32Array {
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const betas = new Float32Array(trainTimesteps);
  for (let i = 0; i < trainTimesteps; i++) {
    betas[i] = Math.min(1 - alphaBar((i + 1) / trainTimesteps) / alphaBar(i / trainTimesteps), 0.999);
  }
  return betas;
}

/** `torch.cumprod(1 - betas)`: torch accumulates a float tensor's cumulative product in double. */
export function alphasCumprod(betas: Float32Array): Float32Array {
  const out = new Float32Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= fround(1 - (betas[i] as number));
    out[i] = product;
  }
  return out;
}

/** `((1 - alphas_cumprod) / alphas_cumprod) ** 0.5`, elementwise in float32. */
export function sigmasFromAlphasCumprod(alphasCumprod: Float32Array): Float32Array {
  return alphasCumprod.map((a) => fround(Math.sqrt(fround(fround(1 - a) / a))));
}

/** `np.interp(x, xp, fp)` for increasing integer `xp = 0, 1, …, fp.length - 1`, in double. */
export function interpOverIndices(x: number, fp: Float32Array): number {
  const last = fp.length - 1;
  if (x <= 0) return fp[0] as number;
  if (x >= last) return fp[last] as number;
  const j = Math.floor(x);
  const left = fp[j] as number;
  if (x === j) return left;
  const slope = ((fp[j + 1] as number) - left) / 1;
  return slope * (x - j) + left;
}

/**
 * `rescale_zero_terminal_snr` (diffusers' `scheduling_ddim.py`, Lin et al. 2023, Algorithm 1): shift and
 * scale `sqrt(alphas_cumprod)` so the last timestep has zero signal, in float32 as torch computes it.
 */
export function rescaleZeroTerminalSnr(betas: Float32Array): Float32Array {
  const sqrtCumprod = alphasCumprod(betas).map((a) => fround(Math.sqrt(a)));
  const first = sqrtCumprod[0] as number;
  const last = sqrtCumprod[sqrtCumprod.length - 1] as number;
  const scale = fround(first / fround(first - last));
  const alphasBar = sqrtCumprod.map((a) => {
    const shifted = fround(fround(a - last) * scale);
    return fround(shifted * shifted);
  });
  const rescaled = new Float32Array(betas.length);
  for (let i = 0; i < betas.length; i++) {
    const alpha =
      i === 0 ? (alphasBar[0] as number) : fround((alphasBar[i] as number) / (alphasBar[i - 1] as number));
    rescaled[i] = fround(1 - alpha);
  }
  return rescaled;
}

/** The keys of a scheduler config that define the training noise schedule. */
export interface TrainingScheduleConfig {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: BetaSchedule;
  trained_betas: number[] | null;
  rescale_betas_zero_snr: boolean;
}

/** The training schedule as diffusers' schedulers build it in `__init__`. */
export interface TrainingSchedule {
  /** `alphas_cumprod`, float32. */
  alphasCumprod: Float32Array;
  /** `((1 - alphas_cumprod) / alphas_cumprod) ** 0.5`, float32, by training timestep. */
  sigmas: Float32Array;
}

/**
 * Betas, their cumulative product and sigmas. `zeroSnrEpsilon`: the sigma schedulers (Euler, Euler a,
 * DPM-Solver) replace a rescaled schedule's last `alphas_cumprod` of 0 by 2^-24 so its sigma is finite.
 */
export function trainingSchedule(
  config: TrainingScheduleConfig,
  options: { zeroSnrEpsilon: boolean },
): TrainingSchedule {
  const { trained_betas, beta_schedule, beta_start, beta_end, num_train_timesteps } = config;
  let betas =
    trained_betas !== null
      ? Float32Array.from(trained_betas)
      : makeBetas(beta_schedule, beta_start, beta_end, num_train_timesteps);
  if (config.rescale_betas_zero_snr) betas = rescaleZeroTerminalSnr(betas);
  const cumprod = alphasCumprod(betas);
  if (config.rescale_betas_zero_snr && options.zeroSnrEpsilon) cumprod[cumprod.length - 1] = 2 ** -24;
  return { alphasCumprod: cumprod, sigmas: sigmasFromAlphasCumprod(cumprod) };
}
