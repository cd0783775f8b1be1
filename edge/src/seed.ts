/** The largest seed the edge assigns itself: torch and diffusers seeds are commonly 32-bit. */
export const MAX_ASSIGNED_SEED = 2 ** 32 - 1;

/** A fresh seed, uniform in [0, 2^32 − 1], from the platform's CSPRNG. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] as number;
}
