import { z } from "zod";

/** What the edge needs to know about a model to resolve a request's defaults and check its limits. */
export interface ModelInfo {
  id: string;
  description: string;
  defaults: { width: number; height: number; steps: number; guidance_scale: number; scheduler: string };
  limits: { max_width: number; max_height: number; max_steps: number };
}

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
