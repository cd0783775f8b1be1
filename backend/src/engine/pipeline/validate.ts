import { InvalidArgumentError } from "../errors.ts";
import { schedulerNames } from "../schedulers/index.ts";
import type { GenerationRequest } from "./types.ts";

export interface ResolvedRequest {
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  steps: number;
  guidanceScale: number;
  seed: number;
  n: number;
  scheduler: string;
}

const MAX_SIDE_PX = 4096;
const MAX_STEPS = 1000;
const MAX_IMAGES = 16;

/** Check a request the way diffusers' `check_inputs` does, naming the bad argument and its value. */
export function resolveRequest(request: GenerationRequest): ResolvedRequest {
  const { prompt, width, height, steps, guidanceScale, seed } = request;
  const negativePrompt = request.negativePrompt ?? "";
  const n = request.n ?? 1;
  const scheduler = request.scheduler ?? "euler";
  if (typeof prompt !== "string") throw new InvalidArgumentError("prompt", prompt, "has to be a string");
  if (typeof negativePrompt !== "string")
    throw new InvalidArgumentError("negativePrompt", negativePrompt, "has to be a string");
  for (const [param, value] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0 || value % 8 !== 0 || value > MAX_SIDE_PX) {
      throw new InvalidArgumentError(param, value, `has to be a positive multiple of 8 up to ${MAX_SIDE_PX}`);
    }
  }
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS) {
    throw new InvalidArgumentError("steps", steps, `has to be an integer from 1 to ${MAX_STEPS}`);
  }
  if (!Number.isFinite(guidanceScale))
    throw new InvalidArgumentError("guidanceScale", guidanceScale, "has to be a finite number");
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new InvalidArgumentError("seed", seed, "has to be a non-negative integer");
  if (!Number.isInteger(n) || n < 1 || n > MAX_IMAGES)
    throw new InvalidArgumentError("n", n, `has to be an integer from 1 to ${MAX_IMAGES}`);
  if (!Number.isSafeInteger(seed + n - 1))
    throw new InvalidArgumentError("seed", seed, "leaves no room for n seeds");
  if (!schedulerNames.includes(scheduler)) {
    throw new InvalidArgumentError("scheduler", scheduler, `has to be one of ${schedulerNames.join(", ")}`);
  }
  return { prompt, negativePrompt, width, height, steps, guidanceScale, seed, n, scheduler };
}
