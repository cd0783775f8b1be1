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

/** Scheduler names the engine implements. */
export const SCHEDULER_NAMES = ["euler"] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];
