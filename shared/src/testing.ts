import { z } from "zod";
import type { ResolvedControlNetUnit } from "./adapters.ts";
import type { ResolvedGenerationRequest } from "./generation-request.ts";
import type { JobView } from "./jobs.ts";

/**
 * A resolved ControlNet unit for tests, with A1111's defaults and a 1×1 PNG's first bytes as image.
 *
 * @example
 * exampleResolvedRequest({ controlnet: [exampleControlNetUnit({ weight: 0.5 })] });
 */
export function exampleControlNetUnit(fields: Partial<ResolvedControlNetUnit> = {}): ResolvedControlNetUnit {
  return {
    model: "canny",
    digest: "0".repeat(64),
    image: "iVBORw0KGgo=",
    weight: 1,
    guidance_start: 0,
    guidance_end: 1,
    control_mode: "balanced",
    preprocessor: "none",
    resize_mode: "crop_and_resize",
    ...fields,
  };
}

/**
 * A fully resolved request for tests (`@sdgate/shared/testing`): small and fast on the tiny model,
 * every field present, so a test states only the fields it is about.
 *
 * @example
 * const request = exampleResolvedRequest({ width: 128, seed: 7 });
 */
export function exampleResolvedRequest(
  fields: Partial<ResolvedGenerationRequest> = {},
): ResolvedGenerationRequest {
  return {
    model: "tiny",
    prompt: "a lighthouse on a cliff at sunset",
    negative_prompt: "",
    n: 1,
    width: 64,
    height: 64,
    steps: 4,
    guidance_scale: 7.5,
    scheduler: "euler",
    seed: 1,
    rng: "torch_cpu",
    image: null,
    strength: null,
    mask: null,
    output_format: "png",
    output_quality: null,
    ...fields,
  };
}

/**
 * A job as the edge shows it (the contract's `JobView`): queued, on the tiny model, nothing run yet;
 * a test sets what it is about.
 *
 * @example
 * const running = exampleJobView("job_…", { status: "running", backend: "local-a", attempts: 1 });
 */
export function exampleJobView(id: string, fields: Partial<JobView> = {}): JobView {
  const self = `/v1/jobs/${id}`;
  return {
    id,
    object: "generation.job",
    status: "queued",
    created: 1_780_000_000,
    started_at: null,
    completed_at: null,
    model: "tiny",
    size: "64x64",
    n: 1,
    steps: 4,
    seed: 7,
    queue: null,
    progress: null,
    backend: null,
    attempts: 0,
    error: null,
    webhook: null,
    links: { self, events: `${self}/events`, cancel: `${self}/cancel` },
    ...fields,
  };
}

/**
 * A seeded pseudo-random source for fuzz tests (mulberry32: one 32-bit state, fast, well spread): the
 * same seed gives the same run, so a failure replays.
 *
 * @example
 * const random = seededRandom(20261206);
 * const coin = random() < 0.5;
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * `schema` with every object in it, however deep, refusing keys it does not name: zod's `.strict()`
 * reaches only the top object. A test that parses a real answer with it fails on any field the
 * contract lacks, so the contract cannot fall behind what the edge sends. Checks (`min`, refinements)
 * are kept.
 *
 * @example
 * strictly(jobViewSchema).parse(await response.json());
 */
export function strictly<T extends z.ZodType>(schema: T): T {
  return deepStrict(schema) as T;
}

function deepStrict(schema: z.ZodType): z.ZodType {
  // `clone` keeps each schema's own checks; only the children and an object's catch-all change.
  const clone = (changes: object) =>
    schema.clone({ ...schema._zod.def, ...changes } as typeof schema._zod.def);
  if (schema instanceof z.ZodObject) {
    const shape = Object.fromEntries(
      Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, value]) => [
        key,
        deepStrict(value),
      ]),
    );
    return clone({ shape, catchall: z.never() });
  }
  if (schema instanceof z.ZodArray) return clone({ element: deepStrict(schema.element as z.ZodType) });
  if (schema instanceof z.ZodRecord) return clone({ valueType: deepStrict(schema.valueType as z.ZodType) });
  if (schema instanceof z.ZodUnion) {
    return clone({ options: (schema.options as z.ZodType[]).map((option) => deepStrict(option)) });
  }
  if (schema instanceof z.ZodPipe) {
    return clone({ in: deepStrict(schema.in as z.ZodType), out: deepStrict(schema.out as z.ZodType) });
  }
  if (
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodNullable ||
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodPrefault
  ) {
    return clone({ innerType: deepStrict(schema.unwrap() as z.ZodType) });
  }
  return schema;
}
