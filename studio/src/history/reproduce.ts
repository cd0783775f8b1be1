import type { GenerationBody } from "@sdgate/sdk";

/**
 * The generation body that asks again exactly what a run recorded (every resolved field, its seed
 * included), or why it cannot: a run's record leaves its input images out, so img2img and inpainting
 * runs are not reproducible from it.
 *
 * @example
 * const again = reproducibleBody(run.request);
 * if (again.ok) await client.images.generateAsync(again.body, { cache: "no-cache" });
 */
export function reproducibleBody(
  request: Record<string, unknown>,
): { ok: true; body: GenerationBody } | { ok: false; reason: string } {
  if (request.image !== null && request.image !== undefined)
    return {
      ok: false,
      reason: "Its input image is not kept with the run, so it cannot be run again from its record.",
    };
  const {
    image: _image,
    mask: _mask,
    strength: _strength,
    model_version: _version,
    safety_check: _safety,
    hires,
    ...asked
  } = request;
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(asked))
    if (value !== null && value !== undefined) body[name] = value;
  if (typeof hires === "object" && hires !== null) {
    const { scale, strength, steps } = hires as { scale: number; strength: number; steps: number };
    Object.assign(body, { hires_scale: scale, hires_strength: strength, hires_steps: steps });
  }
  if (typeof body.prompt !== "string" || typeof body.seed !== "number")
    return { ok: false, reason: "Its record has no prompt or seed." };
  return { ok: true, body: body as GenerationBody };
}

/** The SHA-256 of some bytes, in hex: how Reproduce says whether two images are the same. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
