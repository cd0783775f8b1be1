import { A1111_SAMPLERS, outputSize, readPngText } from "@sdgate/shared";
import { fromBase64 } from "../cache/record.ts";
import type { TaskResult } from "./run-task.ts";

/** A1111's `job_timestamp`: local time as `YYYYMMDDhhmmss` (here UTC: the edge has no local time). */
export function jobTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

/** The `parameters` text an image carries (what A1111 writes and reads back), or "" when it has none. */
async function infotextOf(b64: string): Promise<string> {
  try {
    return (await readPngText(fromBase64(b64))).get("parameters") ?? "";
  } catch {
    return "";
  }
}

/**
 * A1111's txt2img/img2img answer: `images` (base64 PNG, no prefix), `parameters` (the request as it
 * came, input images left out as A1111 leaves them out), and `info`, the JSON text of A1111's
 * `Processed.js()` (stable-diffusion-webui `modules/processing.py`) with the seeds each image used
 * and the infotext each image carries.
 */
export async function a1111Response(
  result: TaskResult,
  body: Record<string, unknown>,
  mode: "txt2img" | "img2img",
  startedMs: number,
  savesMap: readonly boolean[] = [],
) {
  const images = result.records.flatMap((record) => record.images);
  const { first } = result;
  const seeds = images.map((image) => image.seed);
  const infotexts = await Promise.all(images.map((image) => infotextOf(image.b64)));
  const size = outputSize(first);
  const { sampler, schedule } = A1111_SAMPLERS[first.scheduler];
  const strength = first.hires?.strength ?? first.strength;
  const info = {
    prompt: first.prompt,
    all_prompts: images.map(() => first.prompt),
    negative_prompt: first.negative_prompt,
    all_negative_prompts: images.map(() => first.negative_prompt),
    seed: seeds[0] ?? first.seed,
    all_seeds: seeds,
    // No variation seeds in sdgate: a subseed of strength 0, as A1111 reports one.
    subseed: seeds[0] ?? first.seed,
    all_subseeds: seeds,
    subseed_strength: 0,
    width: size.width,
    height: size.height,
    sampler_name: sampler,
    scheduler: schedule,
    cfg_scale: first.guidance_scale,
    steps: first.steps,
    batch_size: first.n,
    restore_faces: false,
    face_restoration_model: null,
    sd_model_name: first.model,
    sd_model_hash: first.model_version?.digest.slice(0, 10) ?? null,
    sd_vae_name: null,
    sd_vae_hash: null,
    seed_resize_from_w: -1,
    seed_resize_from_h: -1,
    denoising_strength: strength ?? null,
    // as A1111's `apply_refiner` records it
    extra_generation_params:
      first.refiner === undefined
        ? {}
        : { Refiner: first.refiner.model, "Refiner switch at": first.refiner.switch_at },
    index_of_first_image: 0,
    infotexts,
    styles: [],
    job_timestamp: jobTimestamp(startedMs),
    clip_skip: first.clip_skip ?? 1,
    is_using_inpainting_conditioning: mode === "img2img" && first.mask !== null && first.mask !== undefined,
    version: "sdgate",
  };
  const parameters = mode === "img2img" ? { ...body, init_images: null, mask: null } : body;
  // The extension appends each unit's detected map after the images, once per request (its
  // `save_detected_map`, on unless turned off); sdgate's first iteration made the same maps as the rest.
  const maps = (result.records[0]?.control_maps ?? []).filter((map) => savesMap[map.unit] === true);
  return {
    images: [...images.map((image) => image.b64), ...maps.map((map) => map.b64)],
    parameters,
    info: JSON.stringify(info),
  };
}
