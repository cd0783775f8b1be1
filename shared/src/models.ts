import { z } from "zod";

/**
 * What a model is built like, as the backend detects it from its folder: SD 1.x, SD 2.x or SDXL
 * (its LCM, Turbo and inpainting variants included), or SDXL's refiner (family `sdxl-refiner`: its own
 * UNet, conditioned on an aesthetic score), which runs as a request's `refiner` after an SDXL base. It
 * decides the model's native size, its resolution buckets, the fields it takes (SDXL's size
 * conditioning, the refiner's aesthetic scores) and its GPU rate.
 */
export const MODEL_ARCHITECTURES = ["sd1", "sd2", "sdxl", "sdxl-refiner"] as const;
export type ModelArchitecture = (typeof MODEL_ARCHITECTURES)[number];

/**
 * The side each architecture was trained at: a request without a size gets it square (SD 2.x: its
 * 768-v models; a 512 SD 2.x-base model sets its own `defaults`).
 */
export const NATIVE_SIDE_PX: Readonly<Record<ModelArchitecture, number>> = {
  sd1: 512,
  sd2: 768,
  sdxl: 1024,
  "sdxl-refiner": 1024,
};

const bucketSchema = z.object({ width: z.number().int(), height: z.number().int() });
export type ResolutionBucket = z.infer<typeof bucketSchema>;

const SDXL_BUCKETS: readonly ResolutionBucket[] = [
  [1024, 1024],
  [1152, 896],
  [896, 1152],
  [1216, 832],
  [832, 1216],
  [1344, 768],
  [768, 1344],
  [1536, 640],
  [640, 1536],
].map(([width, height]) => ({ width: width as number, height: height as number }));

/**
 * The sizes each architecture was trained at. SDXL's are its aspect-ratio buckets (SDXL paper §2.3,
 * multi-aspect training: about 1024² pixels, sides multiples of 64), the ones UIs offer, and its
 * refiner's (it refines the base's latents); SD 1.x and 2.x were trained square.
 */
export const RESOLUTION_BUCKETS: Readonly<Record<ModelArchitecture, readonly ResolutionBucket[]>> = {
  sd1: [{ width: 512, height: 512 }],
  sd2: [{ width: 768, height: 768 }],
  sdxl: SDXL_BUCKETS,
  "sdxl-refiner": SDXL_BUCKETS,
};

/** What a request leaves out is taken from its model's defaults. */
export const modelDefaultsSchema = z.object({
  width: z.number().int(),
  height: z.number().int(),
  steps: z.number().int(),
  guidance_scale: z.number(),
  scheduler: z.string(),
});

/** The largest request a model takes. */
export const modelLimitsSchema = z.object({
  max_width: z.number().int(),
  max_height: z.number().int(),
  max_steps: z.number().int(),
});

/**
 * One entry of `GET /v1/models`: OpenAI's model object (`id`, `object`, `created`, `owned_by`) with
 * sdgate's description, defaults and limits.
 *
 * @example
 * const { defaults } = modelSchema.parse(entry);
 */
export const modelSchema = z.object({
  id: z.string(),
  object: z.literal("model"),
  /** Unix seconds: when the catalog entry was added, not when the model was built. */
  created: z.number().int(),
  owned_by: z.string(),
  description: z.string(),
  architecture: z.enum(MODEL_ARCHITECTURES),
  /** The sizes the model was trained at (`RESOLUTION_BUCKETS`): the sizes it makes best. */
  resolution_buckets: z.array(bucketSchema),
  defaults: modelDefaultsSchema,
  limits: modelLimitsSchema,
  /**
   * A registry edge's model only: the aliases the caller may use (`sd15@production`) and the version
   * each points at now, by name.
   */
  aliases: z.array(z.object({ name: z.string(), version: z.string() })).optional(),
  /** A registry edge's model only: the versions the caller may pin (`sd15@v3`), oldest first. */
  versions: z.array(z.string()).optional(),
});
/**
 * A model as the list shows it.
 *
 * @example
 * const sizes = (model: Model) => `${model.limits.max_width}x${model.limits.max_height}`;
 */
export type Model = z.infer<typeof modelSchema>;

/**
 * `GET /v1/models`: OpenAI's list shape, of the models the calling key may use.
 *
 * @example
 * const ids = modelListSchema.parse(await response.json()).data.map((model) => model.id);
 */
export const modelListSchema = z.object({
  object: z.literal("list"),
  data: z.array(modelSchema),
});
/**
 * The models a key may use.
 *
 * @example
 * const { data }: ModelList = await client.models.list();
 */
export type ModelList = z.infer<typeof modelListSchema>;

/**
 * What the edge needs to know about a model to resolve a request's defaults and check its limits:
 * the list entry's fields but OpenAI's own, so the catalog and the list cannot disagree.
 */
export type ModelInfo = Pick<Model, "id" | "description" | "architecture" | "defaults" | "limits"> & {
  /**
   * Present when the catalog entry names no `architecture`: the backends that serve the model say
   * what it is ({@link withArchitecture}), and its default size follows unless the entry sets it
   * (`width`, `height`: the ones it sets). Until then the model is taken for `sd1`.
   */
  detect?: { width?: number; height?: number };
};

/** The model the project builds itself (see backend/src/model-builder): tiny, CPU-friendly, random weights. */
export const TINY_MODEL: ModelInfo = {
  id: "tiny",
  description: "A tiny Stable Diffusion-architecture model with seeded random weights, built by sdgate.",
  architecture: "sd1",
  defaults: { width: 256, height: 256, steps: 20, guidance_scale: 7.5, scheduler: "euler" },
  limits: { max_width: 1024, max_height: 1024, max_steps: 150 },
};

export const DEFAULT_MODEL_ID = TINY_MODEL.id;

/**
 * A model entry as operators write it in configuration (the edge's `SDGATE_MODELS`): only `id` is
 * required; without `architecture` the backends' report decides it (`detect`; `sd1` until one
 * does); the default size is the architecture's native one (`NATIVE_SIDE_PX`, 1024×1024 for SDXL),
 * the rest falls back to SD 1.5's (30 steps, CFG 7.5, Euler).
 */
export const modelInfoSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must be lowercase letters, digits, '.', '_' or '-'"),
    description: z.string().max(500).default(""),
    architecture: z.enum(MODEL_ARCHITECTURES).optional(),
    defaults: z
      .object({
        width: z.number().int().min(64).multipleOf(8).optional(),
        height: z.number().int().min(64).multipleOf(8).optional(),
        steps: z.number().int().min(1).default(30),
        guidance_scale: z.number().min(0).max(30).default(7.5),
        scheduler: z.string().default("euler"),
      })
      .prefault({}),
    limits: z
      .object({
        max_width: z.number().int().min(64).default(2048),
        max_height: z.number().int().min(64).default(2048),
        max_steps: z.number().int().min(1).default(150),
      })
      .prefault({}),
  })
  .transform(({ defaults, architecture, ...model }): ModelInfo => {
    const { width, height, ...rest } = defaults;
    const side = NATIVE_SIDE_PX[architecture ?? "sd1"];
    const info: ModelInfo = {
      ...model,
      architecture: architecture ?? "sd1",
      defaults: { ...rest, width: width ?? side, height: height ?? side },
    };
    if (architecture !== undefined) return info;
    return {
      ...info,
      detect: { ...(width === undefined ? {} : { width }), ...(height === undefined ? {} : { height }) },
    };
  }) satisfies z.ZodType<ModelInfo, unknown>;

/**
 * The model as `architecture` makes it when its catalog entry left the architecture to the backends
 * (`detect`): that architecture, and the native size of it as the default size the entry did not
 * set. A model whose architecture was declared stays as declared.
 *
 * @example
 * const info = withArchitecture(modelInfoSchema.parse({ id: "xl" }), "sdxl"); // defaults 1024×1024
 */
export function withArchitecture(model: ModelInfo, architecture: ModelArchitecture): ModelInfo {
  if (model.detect === undefined || model.architecture === architecture) return model;
  const side = NATIVE_SIDE_PX[architecture];
  const { width = side, height = side } = model.detect;
  return { ...model, architecture, defaults: { ...model.defaults, width, height } };
}

/** The most model references one team may be granted. */
export const MAX_TEAM_MODELS = 64;

/**
 * `PUT /admin/teams/{id}/models`: the model references the team's keys may use (`sd15`: every alias
 * and version of it; `sd15@production`: that alias; `sd15@v3`: that version; `[]`: none), or `null`
 * for every model. Which references exist is the server's to check.
 */
export const teamModelsBodySchema = z.strictObject({
  models: z
    .array(z.string("must be a model reference").min(1).max(200), "must be an array of model references")
    .max(MAX_TEAM_MODELS, `must name at most ${MAX_TEAM_MODELS} models`)
    .transform((list) => [...new Set(list)])
    .nullable(),
});
export type TeamModelsBody = z.input<typeof teamModelsBodySchema>;

/** `GET /admin/teams/{id}/models`: what the team's keys may use (`null`: every model). */
export const teamModelsViewSchema = z.object({
  object: z.literal("team.models"),
  team_id: z.string(),
  models: z.array(z.string()).nullable(),
});
export type TeamModelsView = z.infer<typeof teamModelsViewSchema>;
