/**
 * A1111's "infotext", the `parameters` text its images carry and that A1111, ComfyUI, Civitai and
 * others read back: the prompt, `Negative prompt: …` when there is one, then `Key: value` pairs joined
 * by ", " in A1111's order (stable-diffusion-webui `modules/processing.py`, `create_infotext`).
 */

import {
  SIZE_CONDITIONING_FIELDS,
  SIZE_CONDITIONING_INFOTEXT_KEYS,
  type SizeConditioning,
  sizeConditioningText,
} from "@sdgate/shared";

export interface A1111Parameters {
  prompt: string;
  negativePrompt: string;
  steps: number;
  sampler: string;
  cfgScale: number;
  seed: number | bigint;
  width: number;
  height: number;
  modelHash: string;
  model: string;
  /** img2img and inpainting. */
  denoisingStrength?: number;
  /** Hires. fix: A1111's "Hires upscale", "Hires steps" and "Hires upscaler". */
  hires?: { upscale: number; steps: number; upscaler: string };
  /** A1111's "Clip skip", written only above 1. */
  clipSkip?: number;
  /** Inpainting's "Masked content", written (as A1111 does) for every mode but "original". */
  maskedContent?: "fill" | "latent noise" | "latent nothing";
  /** sd-webui-controlnet's units, each written as `ControlNet <i>` (see `controlNetInfotext`). */
  controlNet?: readonly string[];
  /** The LoRAs applied: A1111's `Lora hashes`, each name with its file's SHA-256 cut to 12 hex. */
  loras?: readonly { name: string; digest: string }[];
  /** A1111's `RNG` field: written for its "CPU" source (torch's CPU generator), left out for "NV". */
  rng?: "CPU";
  /**
   * SDXL's size and crop conditioning as the request gave it. A1111 has no fields for it; sdgate
   * writes each given one after A1111's own (`Original size: 2048x1536`, `Crop top left: "16, 0"`),
   * which A1111 and other readers keep as unknown keys.
   */
  sizeConditioning?: SizeConditioning;
  /** A1111's refiner: its checkpoint title, switch point, and whether it switched by sampling steps. */
  refiner?: { title: string | undefined; switchAt: number | undefined; bySteps: boolean };
}

function sizeConditioningPairs(given: SizeConditioning | undefined): [string, string][] {
  if (given === undefined) return [];
  return SIZE_CONDITIONING_FIELDS.flatMap((field): [string, string][] => {
    const value = given[field];
    return value === undefined ? [] : [[SIZE_CONDITIONING_INFOTEXT_KEYS[field], sizeConditioningText(value)]];
  });
}

/** Format the infotext exactly as `create_infotext` does for these fields. */
export function formatA1111Parameters(p: A1111Parameters): string {
  const pairs: [string, string | number | bigint | undefined][] = [
    ["Steps", p.steps],
    ["Sampler", p.sampler],
    ["CFG scale", p.cfgScale],
    ["Seed", p.seed],
    ["Size", `${p.width}x${p.height}`],
    ["Model hash", p.modelHash],
    ["Model", p.model],
    ["Denoising strength", p.denoisingStrength],
    ["Clip skip", p.clipSkip !== undefined && p.clipSkip > 1 ? p.clipSkip : undefined],
    ["Hires upscale", p.hires?.upscale],
    ["Hires steps", p.hires?.steps],
    ["Hires upscaler", p.hires?.upscaler],
    ["Masked content", p.maskedContent],
    ...(p.controlNet ?? []).map((unit, i): [string, string] => [`ControlNet ${i}`, unit]),
    // extra_networks_lora.py: `Lora hashes` lists `alias: shorthash` (the first 12 hex of the file's SHA-256)
    [
      "Lora hashes",
      p.loras === undefined || p.loras.length === 0
        ? undefined
        : p.loras.map((lora) => `${lora.name}: ${lora.digest.slice(0, 12)}`).join(", "),
    ],
    ["RNG", p.rng],
    // sd_samplers_common.apply_refiner's extra_generation_params (the first two once it switched)
    ["Refiner", p.refiner?.title],
    ["Refiner switch at", p.refiner?.switchAt],
    ["Refiner switch by sampling steps", p.refiner?.bySteps ? "True" : undefined],
    ...sizeConditioningPairs(p.sizeConditioning),
  ];
  const generation = pairs
    .filter((pair): pair is [string, string | number | bigint] => pair[1] !== undefined)
    .map(([key, value]) => `${key}: ${quote(String(value))}`)
    .join(", ");
  const negative = p.negativePrompt === "" ? "" : `\nNegative prompt: ${p.negativePrompt}`;
  return `${p.prompt}${negative}\n${generation}`.trim();
}

/** `infotext_utils.quote`: values with a comma, colon or newline become JSON strings. */
function quote(text: string): string {
  return /[,:\n]/.test(text) ? JSON.stringify(text) : text;
}
