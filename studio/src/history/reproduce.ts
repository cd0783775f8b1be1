import type { GenerationBody } from "@sdgate/sdk";
import { askedLoras, inputDigestOf } from "@sdgate/shared";

/** A run's input images as its links gave them: base64 by digest (`sha256:…`). */
export type InputImages = ReadonlyMap<string, string>;

type Replaced = { ok: true; value: unknown } | { ok: false; reason: string };

/** A recorded input (a reference, `null`, or an old run's placeholder) as the request sends it. */
function inputValue(recorded: unknown, inputs: InputImages): Replaced {
  if (recorded === null || recorded === undefined) return { ok: true, value: recorded };
  const digest = inputDigestOf(recorded);
  if (digest === null)
    return {
      ok: false,
      reason:
        "Its input images were not kept with the run (it ran before they were), so it cannot be run again from its record.",
    };
  const bytes = inputs.get(digest);
  return bytes === undefined
    ? { ok: false, reason: `Its input image ${digest.slice(0, 19)}… is no longer kept.` }
    : { ok: true, value: bytes };
}

/**
 * The generation body that asks again exactly what a run recorded (every resolved field, its seed
 * included, its input images' own bytes where its record refers to them by digest), or why it
 * cannot: a run from before inputs were kept, or one whose input is gone.
 *
 * @example
 * const again = reproducibleBody(run.request, await inputImages(client, run));
 * if (again.ok) await client.images.generateAsync(again.body, { cache: "no-cache" });
 */
export function reproducibleBody(
  request: Record<string, unknown>,
  inputs: InputImages = new Map(),
): { ok: true; body: GenerationBody } | { ok: false; reason: string } {
  const {
    image,
    mask,
    strength,
    controlnet,
    model_version: _version,
    safety_check: _safety,
    hires,
    lora,
    ...asked
  } = request;
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(asked))
    if (value !== null && value !== undefined) body[name] = value;
  for (const [name, recorded] of [
    ["image", image],
    ["mask", mask],
  ] as const) {
    const value = inputValue(recorded, inputs);
    if (!value.ok) return value;
    if (value.value !== null && value.value !== undefined) body[name] = value.value;
  }
  if (body.image !== undefined && typeof strength === "number") body.strength = strength;
  if (Array.isArray(controlnet)) {
    const units: Record<string, unknown>[] = [];
    // A unit's `digest` is its model's file, resolved again from `model` when the request runs.
    for (const { digest: _digest, image: recorded, ...unit } of controlnet as Record<string, unknown>[]) {
      const value = inputValue(recorded, inputs);
      if (!value.ok) return value;
      units.push({ ...unit, image: value.value });
    }
    body.controlnet = units;
  }
  if (typeof hires === "object" && hires !== null) {
    const { scale, strength, steps } = hires as { scale: number; strength: number; steps: number };
    Object.assign(body, { hires_scale: scale, hires_strength: strength, hires_steps: steps });
  }
  // Each LoRA by name and weight (its digest is resolved again), less those the prompt's tags name.
  if (Array.isArray(lora) && typeof body.prompt === "string") {
    const asked = askedLoras(lora as { name: string; weight: number }[], body.prompt);
    if (asked.length > 0) body.lora = asked;
  }
  if (typeof body.prompt !== "string" || typeof body.seed !== "number")
    return { ok: false, reason: "Its record has no prompt or seed." };
  return { ok: true, body: body as GenerationBody };
}

/** Bytes as base64, as a request's input images are sent (in chunks: one spread of a large image overflows the stack). */
export function base64Of(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The SHA-256 of some bytes, in hex: how Reproduce says whether two images are the same. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
