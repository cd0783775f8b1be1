import { z } from "zod";

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
export type ModelInfo = Pick<Model, "id" | "description" | "defaults" | "limits">;

/** The model the project builds itself (see backend/src/model-builder): tiny, CPU-friendly, random weights. */
export const TINY_MODEL: ModelInfo = {
  id: "tiny",
  description: "A tiny Stable Diffusion-architecture model with seeded random weights, built by sdgate.",
  defaults: { width: 256, height: 256, steps: 20, guidance_scale: 7.5, scheduler: "euler" },
  limits: { max_width: 1024, max_height: 1024, max_steps: 150 },
};

export const DEFAULT_MODEL_ID = TINY_MODEL.id;

/**
 * A model entry as operators write it in configuration (the edge's `SDGATE_MODELS`): only `id` is
 * required; defaults and limits fall back to SD 1.5's (512×512, 30 steps, CFG 7.5, Euler).
 */
export const modelInfoSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must be lowercase letters, digits, '.', '_' or '-'"),
  description: z.string().max(500).default(""),
  defaults: z
    .object({
      width: z.number().int().min(64).multipleOf(8).default(512),
      height: z.number().int().min(64).multipleOf(8).default(512),
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
}) satisfies z.ZodType<ModelInfo, unknown>;

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
