/**
 * What a generation request may add to its model per request (issue 18): LoRAs (`lora`, or A1111's
 * `<lora:name:weight>` in the prompt) and ControlNet units (`controlnet`), in the public request and
 * in the resolved one the backend runs and the cache key is made from.
 */
import { z } from "zod";
import { DIGEST_PATTERN } from "./model-registry.ts";

/** Base64 characters of one input image, as `image` and `mask` have them (about 7.5 MB of PNG). */
const MAX_CONTROL_IMAGE_CHARS = 10_000_000;

/** LoRAs one request may apply at once (A1111 has no limit; past a handful nobody can tell them apart). */
export const MAX_REQUEST_LORAS = 8;
/** ControlNet units one request may use: A1111's ControlNet extension shows 3 by default. */
export const MAX_CONTROLNET_UNITS = 4;
/** A LoRA's or a ControlNet model's registered name: what `<lora:NAME:…>` and `controlnet[].model` say. */
export const ADAPTER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** How far a LoRA may be pushed either way (A1111 lets the slider go to ±2, text to anything). */
export const MAX_LORA_WEIGHT = 10;

export const adapterNameSchema = z
  .string()
  .regex(ADAPTER_NAME_PATTERN, "must be letters, digits, '.', '_' or '-' (at most 100)");

/** One LoRA as a request names it; `weight` is A1111's multiplier (1 when left out). */
export const loraRequestSchema = z.strictObject({
  name: adapterNameSchema,
  weight: z.number().min(-MAX_LORA_WEIGHT).max(MAX_LORA_WEIGHT).optional(),
});
export type LoraRequest = z.infer<typeof loraRequestSchema>;

/** A LoRA as the backend applies it: the registered file it resolved to and its weight. */
export const resolvedLoraSchema = z.strictObject({
  name: adapterNameSchema,
  /** SHA-256 of the LoRA's file: a backend applies it only when it holds a file with this digest. */
  digest: z.string().regex(DIGEST_PATTERN),
  weight: z.number().min(-MAX_LORA_WEIGHT).max(MAX_LORA_WEIGHT),
});
export type ResolvedLora = z.infer<typeof resolvedLoraSchema>;

/**
 * `none` feeds the image as the control map; `canny` draws its edges (in TypeScript, no model);
 * `depth` and `openpose` run ONNX models the backend must hold.
 */
export const CONTROLNET_PREPROCESSORS = ["none", "canny", "depth", "openpose"] as const;
export type ControlNetPreprocessor = (typeof CONTROLNET_PREPROCESSORS)[number];

/** A1111 ControlNet's "Control Mode": which side wins when prompt and control disagree. */
export const CONTROL_MODES = ["balanced", "prompt", "controlnet"] as const;
export type ControlMode = (typeof CONTROL_MODES)[number];

/** A1111 ControlNet's "Resize Mode", for a control image whose size is not the output's. */
export const CONTROL_RESIZE_MODES = ["just_resize", "crop_and_resize", "resize_and_fill"] as const;
export type ControlResizeMode = (typeof CONTROL_RESIZE_MODES)[number];

/** Canny's hysteresis thresholds (A1111's `threshold_a`/`threshold_b`, defaults 100 and 200). */
export const DEFAULT_CANNY_LOW = 100;
export const DEFAULT_CANNY_HIGH = 200;

const controlImageSchema = z
  .string()
  .max(MAX_CONTROL_IMAGE_CHARS)
  .regex(
    /^(data:image\/[a-z0-9.+-]+;base64,)?[A-Za-z0-9+/]+={0,2}$/,
    "must be a base64-encoded image or a data: URL",
  );

const fraction = z.number().min(0).max(1);

/** One ControlNet unit as a request gives it; A1111's defaults for what it leaves out. */
export const controlNetUnitRequestSchema = z.strictObject({
  /** A ControlNet model's registered name. */
  model: adapterNameSchema,
  image: controlImageSchema,
  /** A1111's "Control Weight": the residuals' scale (default 1). */
  weight: z.number().min(0).max(2).optional(),
  /** The share of the steps, from the start, before the unit takes effect (default 0). */
  guidance_start: fraction.optional(),
  /** The share of the steps after which it stops (default 1). */
  guidance_end: fraction.optional(),
  control_mode: z.enum(CONTROL_MODES).optional(),
  preprocessor: z.enum(CONTROLNET_PREPROCESSORS).optional(),
  /** Canny's low and high thresholds, 1–255 (A1111's `threshold_a`, `threshold_b`). */
  threshold_low: z.number().int().min(1).max(255).optional(),
  threshold_high: z.number().int().min(1).max(255).optional(),
  resize_mode: z.enum(CONTROL_RESIZE_MODES).optional(),
});
export type ControlNetUnitRequest = z.infer<typeof controlNetUnitRequestSchema>;

/** A unit with every default applied and its model resolved to a file: what the backend runs. */
export const resolvedControlNetUnitSchema = z.strictObject({
  model: adapterNameSchema,
  /** SHA-256 identifying the ControlNet model's files (as a model version's digest does). */
  digest: z.string().regex(DIGEST_PATTERN),
  image: controlImageSchema,
  weight: z.number().min(0).max(2),
  guidance_start: fraction,
  guidance_end: fraction,
  control_mode: z.enum(CONTROL_MODES),
  preprocessor: z.enum(CONTROLNET_PREPROCESSORS),
  /** Present only for `canny`. */
  threshold_low: z.number().int().min(1).max(255).optional(),
  threshold_high: z.number().int().min(1).max(255).optional(),
  resize_mode: z.enum(CONTROL_RESIZE_MODES),
});
export type ResolvedControlNetUnit = z.infer<typeof resolvedControlNetUnitSchema>;

/**
 * `<lora:name:weight>` (and `<lora:name>`, weight 1) in a prompt, as A1111's extra-networks syntax
 * writes them. The engine leaves these out of the text it encodes, as A1111 does.
 */
export const LORA_TAG = /<lora:([^:>]+)(?::([^:>]*))?(?::[^>]*)?>/g;

/**
 * The LoRAs a prompt names with `<lora:…>` tags, in order; a tag whose weight is not a number is
 * reported by its text.
 *
 * @example
 * lorasInPrompt("a cat <lora:ink:0.7>") // { ok: true, value: [{ name: "ink", weight: 0.7 }] }
 */
export function lorasInPrompt(
  prompt: string,
): { ok: true; value: LoraRequest[] } | { ok: false; tag: string } {
  const found: LoraRequest[] = [];
  for (const match of prompt.matchAll(LORA_TAG)) {
    const name = (match[1] ?? "").trim();
    const weightText = (match[2] ?? "").trim();
    const weight = weightText === "" ? 1 : Number(weightText);
    if (!ADAPTER_NAME_PATTERN.test(name) || !Number.isFinite(weight) || Math.abs(weight) > MAX_LORA_WEIGHT)
      return { ok: false, tag: match[0] };
    found.push({ name, weight });
  }
  return { ok: true, value: found };
}

/**
 * The `lora` field a resolved request was asked with: its LoRAs (`resolveLoras` puts the field's first,
 * then the prompt's tags) less the ones its prompt's tags name, by name and weight. Sending a recorded
 * request again with this, not every resolved LoRA, keeps each tag from being applied twice.
 *
 * @example
 * askedLoras([{ name: "ink", weight: 0.5 }, { name: "fox", weight: 1 }], "a <lora:fox>") // [{ name: "ink", weight: 0.5 }]
 */
export function askedLoras(
  resolved: readonly { name: string; weight: number }[],
  prompt: string,
): { name: string; weight: number }[] {
  const tags = lorasInPrompt(prompt);
  const fromTags = tags.ok ? tags.value.length : 0;
  return resolved
    .slice(0, Math.max(0, resolved.length - fromTags))
    .map(({ name, weight }) => ({ name, weight }));
}

/** A prompt without its `<lora:…>` tags: the text the text encoder sees. */
export function withoutLoraTags(prompt: string): string {
  return prompt.replace(LORA_TAG, "");
}

/**
 * The LoRAs and ControlNet models a request may name, each by its registered name, with the digest
 * of the file (or folder) a backend must hold to apply it. The edge reads it from its registry.
 */
export interface AdapterCatalog {
  loras: ReadonlyMap<string, string>;
  controlnets: ReadonlyMap<string, string>;
}

export const NO_ADAPTERS: AdapterCatalog = { loras: new Map(), controlnets: new Map() };

interface AdapterProblem {
  param: string;
  message: string;
}

type Resolved<T> = { ok: true; value: T } | { ok: false; error: AdapterProblem };

/** `lora` then the prompt's `<lora:…>` tags, each resolved to its digest in `catalog`. */
export function resolveLoras(
  fromField: readonly LoraRequest[] | undefined,
  prompt: string,
  catalog: AdapterCatalog,
): Resolved<ResolvedLora[]> {
  const tags = lorasInPrompt(prompt);
  if (!tags.ok)
    return {
      ok: false,
      error: {
        param: "prompt",
        message: `Invalid 'prompt': ${tags.tag.slice(0, 120)} is not a LoRA tag; write <lora:name:weight> with a registered name and a weight from -${MAX_LORA_WEIGHT} to ${MAX_LORA_WEIGHT}.`,
      },
    };
  const named = [
    ...(fromField ?? []).map((lora, i) => ({ ...lora, param: `lora.${i}.name` })),
    ...tags.value.map((lora) => ({ ...lora, param: "prompt" })),
  ];
  if (named.length > MAX_REQUEST_LORAS)
    return {
      ok: false,
      error: {
        param: fromField?.length ? "lora" : "prompt",
        message: `Invalid '${fromField?.length ? "lora" : "prompt"}': at most ${MAX_REQUEST_LORAS} LoRAs per request, 'lora' and <lora:…> tags together (this one names ${named.length}).`,
      },
    };
  const resolved: ResolvedLora[] = [];
  for (const { name, weight, param } of named) {
    const digest = catalog.loras.get(name);
    if (digest === undefined)
      return {
        ok: false,
        error: {
          param,
          message: `Invalid '${param}': no LoRA named '${name}' is registered and approved on this server.`,
        },
      };
    resolved.push({ name, digest, weight: weight ?? 1 });
  }
  return { ok: true, value: resolved };
}

/** Each unit with A1111's defaults applied and its model resolved to a digest in `catalog`. */
export function resolveControlNetUnits(
  units: readonly ControlNetUnitRequest[],
  catalog: AdapterCatalog,
): Resolved<ResolvedControlNetUnit[]> {
  const resolved: ResolvedControlNetUnit[] = [];
  for (const [i, unit] of units.entries()) {
    const at = `controlnet.${i}`;
    const digest = catalog.controlnets.get(unit.model);
    if (digest === undefined)
      return {
        ok: false,
        error: {
          param: `${at}.model`,
          message: `Invalid '${at}.model': no ControlNet model named '${unit.model}' is registered and approved on this server.`,
        },
      };
    const start = unit.guidance_start ?? 0;
    const end = unit.guidance_end ?? 1;
    if (end <= start)
      return {
        ok: false,
        error: {
          param: `${at}.guidance_end`,
          message: `Invalid '${at}.guidance_end': it must be past guidance_start (${start}).`,
        },
      };
    const preprocessor = unit.preprocessor ?? "none";
    const thresholds = unit.threshold_low !== undefined || unit.threshold_high !== undefined;
    if (thresholds && preprocessor !== "canny")
      return {
        ok: false,
        error: {
          param: `${at}.${unit.threshold_low !== undefined ? "threshold_low" : "threshold_high"}`,
          message: `Invalid '${at}.${unit.threshold_low !== undefined ? "threshold_low" : "threshold_high"}': thresholds apply to the canny preprocessor only.`,
        },
      };
    const low = unit.threshold_low ?? DEFAULT_CANNY_LOW;
    const high = unit.threshold_high ?? DEFAULT_CANNY_HIGH;
    if (preprocessor === "canny" && high < low)
      return {
        ok: false,
        error: {
          param: `${at}.threshold_high`,
          message: `Invalid '${at}.threshold_high': it must not be below threshold_low (${low}).`,
        },
      };
    resolved.push({
      model: unit.model,
      digest,
      image: unit.image,
      weight: unit.weight ?? 1,
      guidance_start: start,
      guidance_end: end,
      control_mode: unit.control_mode ?? "balanced",
      preprocessor,
      ...(preprocessor === "canny" ? { threshold_low: low, threshold_high: high } : {}),
      resize_mode: unit.resize_mode ?? "crop_and_resize",
    });
  }
  return { ok: true, value: resolved };
}
