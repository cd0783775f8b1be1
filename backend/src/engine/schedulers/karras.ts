import { npLinspace } from "./numpy-compat.ts";

const { fround } = Math;

/**
 * Karras et al. (2022) noise levels, `_convert_to_karras` in diffusers' schedulers (after k-diffusion's
 * `get_sigmas_karras`): evenly spaced in `sigma ** (1 / rho)` from `sigmaMax` down to `sigmaMin`, in
 * float64 as numpy computes them.
 */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, steps: number, rho = 7): number[] {
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return npLinspace(0, 1, steps).map((ramp) => (maxInvRho + ramp * (minInvRho - maxInvRho)) ** rho);
}

/** `np.log` of the float32 training sigmas, as diffusers keeps them for `_sigma_to_t`. */
export function logSigmasFloat32(trainSigmas: Float32Array): Float32Array {
  return trainSigmas.map((sigma) => fround(Math.log(sigma)));
}

/**
 * diffusers' `_sigma_to_t`: the fractional training timestep whose log-sigma, interpolated linearly
 * between neighbours, equals `log(sigma)`. `logSigmas` increase with the timestep. Computed in float64
 * (NumPy 2 keeps a float64 scalar minus a float32 array in float64).
 */
export function sigmaToT(sigma: number, logSigmas: Float32Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // np.cumsum(dists >= 0).argmax(): the first index where the running count peaks, i.e. the last
  // training step whose log-sigma is at or below log(sigma) (0 when there is none).
  let count = 0;
  let peak = -1;
  let lowIndex = 0;
  for (let i = 0; i < logSigmas.length; i++) {
    if (logSigma - (logSigmas[i] as number) >= 0) count++;
    if (count > peak) {
      peak = count;
      lowIndex = i;
    }
  }
  lowIndex = Math.min(lowIndex, logSigmas.length - 2);
  const low = logSigmas[lowIndex] as number;
  const high = logSigmas[lowIndex + 1] as number;
  const weight = Math.min(Math.max((low - logSigma) / (low - high), 0), 1);
  return (1 - weight) * lowIndex + weight * (lowIndex + 1);
}
