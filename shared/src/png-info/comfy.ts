import { MAX_SEED } from "../generation-request.ts";
import { resolveSchedulerName } from "../schedulers.ts";
import type { ImageRecipe, RecipeFields } from "./recipe.ts";

/**
 * ComfyUI's recipes: the `prompt` text chunk (the API-format graph: node id → `{ class_type, inputs }`,
 * an input that is `[node id, output index]` linking to another node) and, for files saved from the
 * UI only, the `workflow` chunk (`nodes` with `widgets_values`, and `links`). The recipe is read from
 * the graph's first sampler: its seed, steps, CFG, sampler and scheduler, the texts of the encoders
 * its `positive` and `negative` inputs come from, and the size of its empty latent.
 */

type Node = { class_type?: unknown; inputs?: Record<string, unknown> };
type Graph = Record<string, Node>;

const SAMPLERS = new Set(["KSampler", "KSamplerAdvanced"]);

function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** What an input is: itself, or (a link) the first text-like input of the node it links to. */
function follow(graph: Graph, value: unknown, depth = 0): unknown {
  if (!Array.isArray(value) || depth > 8) return value;
  const node = graph[String(value[0])];
  const inputs = node?.inputs ?? {};
  for (const key of ["text", "value", "string", "text_g", "seed", "noise_seed"])
    if (key in inputs) return follow(graph, inputs[key], depth + 1);
  return undefined;
}

function linked(graph: Graph, value: unknown): Node | undefined {
  return Array.isArray(value) ? graph[String(value[0])] : undefined;
}

function fieldsOf(
  sampler: Record<string, unknown>,
  texts: { positive?: unknown; negative?: unknown },
  size: { width?: unknown; height?: unknown },
): RecipeFields {
  const fields: RecipeFields = {};
  const int = (value: unknown, max = Number.MAX_SAFE_INTEGER) =>
    typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= max ? value : undefined;
  if (typeof texts.positive === "string") fields.prompt = texts.positive;
  if (typeof texts.negative === "string" && texts.negative !== "") fields.negative_prompt = texts.negative;
  const seed = int(sampler.seed ?? sampler.noise_seed, MAX_SEED);
  if (seed !== undefined) fields.seed = seed;
  const steps = int(sampler.steps);
  if (steps !== undefined && steps > 0) fields.steps = steps;
  if (typeof sampler.cfg === "number" && sampler.cfg >= 0 && sampler.cfg <= 30)
    fields.guidance_scale = sampler.cfg;
  const name = typeof sampler.sampler_name === "string" ? sampler.sampler_name : "";
  const schedule = typeof sampler.scheduler === "string" ? sampler.scheduler : "normal";
  const scheduler = resolveSchedulerName(`${name} ${schedule}`) ?? resolveSchedulerName(name);
  if (scheduler !== null) fields.scheduler = scheduler;
  if (typeof sampler.denoise === "number" && sampler.denoise > 0 && sampler.denoise < 1)
    fields.strength = sampler.denoise;
  const width = int(size.width);
  const height = int(size.height);
  if (width !== undefined && height !== undefined) {
    fields.width = width;
    fields.height = height;
  }
  return fields;
}

function fromPromptGraph(value: unknown): ImageRecipe | null {
  if (!isObject(value)) return null;
  const graph = value as Graph;
  const sampler = Object.values(graph).find((node) => SAMPLERS.has(String(node?.class_type)));
  if (sampler === undefined) return null;
  const inputs = sampler.inputs ?? {};
  const resolved: Record<string, unknown> = {};
  for (const [key, input] of Object.entries(inputs)) resolved[key] = follow(graph, input);
  const latent = linked(graph, inputs.latent_image)?.inputs ?? {};
  const checkpoint = Object.values(graph).find((node) =>
    String(node?.class_type).startsWith("CheckpointLoader"),
  );
  const clipLayer = Object.values(graph).find((node) => node?.class_type === "CLIPSetLastLayer");
  const fields = fieldsOf(
    resolved,
    { positive: follow(graph, inputs.positive), negative: follow(graph, inputs.negative) },
    { width: latent.width, height: latent.height },
  );
  const stop = clipLayer?.inputs?.stop_at_clip_layer;
  if (typeof stop === "number" && stop <= -2) fields.clip_skip = -stop;
  const ckpt = checkpoint?.inputs?.ckpt_name;
  return {
    source: "comfyui",
    fields,
    model: { name: typeof ckpt === "string" ? ckpt : null, hash: null, version: null },
    unmapped: {},
  };
}

type UiNode = { id?: unknown; type?: unknown; widgets_values?: unknown; inputs?: unknown };

/** The UI's `workflow`: widgets in their order (KSampler: seed, control, steps, cfg, sampler, scheduler, denoise). */
function fromWorkflow(value: unknown): ImageRecipe | null {
  if (!isObject(value) || !Array.isArray(value.nodes)) return null;
  const nodes = value.nodes as UiNode[];
  const links = (Array.isArray(value.links) ? value.links : []) as unknown[][];
  const sampler = nodes.find((node) => node.type === "KSampler");
  if (sampler === undefined || !Array.isArray(sampler.widgets_values)) return null;
  const [seed, , steps, cfg, samplerName, scheduler, denoise] = sampler.widgets_values as unknown[];
  const source = (inputName: string): UiNode | undefined => {
    const input = (Array.isArray(sampler.inputs) ? sampler.inputs : []).find(
      (entry: { name?: unknown }) => entry.name === inputName,
    ) as { link?: unknown } | undefined;
    const link = links.find((entry) => entry[0] === input?.link);
    return link === undefined ? undefined : nodes.find((node) => node.id === link[1]);
  };
  const text = (node: UiNode | undefined) =>
    Array.isArray(node?.widgets_values) ? (node.widgets_values as unknown[])[0] : undefined;
  const latent = source("latent_image")?.widgets_values;
  const [width, height] = Array.isArray(latent) ? (latent as unknown[]) : [];
  const checkpoint = nodes.find((node) => String(node.type).startsWith("CheckpointLoader"));
  const ckpt = text(checkpoint);
  return {
    source: "comfyui",
    fields: fieldsOf(
      { seed, steps, cfg, sampler_name: samplerName, scheduler, denoise },
      { positive: text(source("positive")), negative: text(source("negative")) },
      { width, height },
    ),
    model: { name: typeof ckpt === "string" ? ckpt : null, hash: null, version: null },
    unmapped: {},
  };
}

/**
 * The recipe in ComfyUI's chunks: the `prompt` graph when there is one, else the UI's `workflow`.
 *
 * @example
 * comfyRequest(text.get("prompt"), text.get("workflow"))?.fields.seed;
 */
export function comfyRequest(prompt: string | undefined, workflow: string | undefined): ImageRecipe | null {
  return fromPromptGraph(parse(prompt)) ?? fromWorkflow(parse(workflow));
}
