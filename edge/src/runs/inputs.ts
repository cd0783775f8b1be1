import {
  INPUT_REFERENCE_FIELD,
  type InputReference,
  inputDigestOf,
  type ResolvedGenerationRequest,
  sha256Hex,
} from "@sdgate/shared";
import { fromBase64 } from "../cache/record.ts";

/**
 * A run's input images (init image, mask, each ControlNet unit's image) in R2 (binding `IMAGES`),
 * content-addressed under the owner's namespace:
 *   `input/{ownerTag}/{sha256 hex}`  the image's bytes, with its content type
 * `ownerTag` is the tenant tag (cache/key.ts) of the run's owner (`team:<id>` or `key:<id>`), so a team
 * reads only its own, and the same image twice in a team is one object. Not under `img/` or `gen/`:
 * R2's lifecycle leaves these alone; they go when no kept run refers to them (`pruneRuns`).
 */
export function inputObjectKey(ownerTag: string, digest: string): string {
  return `input/${ownerTag}/${digest.replace(/^sha256:/, "")}`;
}

/** One input image of a run: its digest (`sha256:<hex>` of its bytes), bytes and content type. */
export interface RunInput {
  digest: string;
  bytes: Uint8Array<ArrayBuffer>;
  contentType: string;
}

/** The media type a data URL names, else the one its first bytes say (PNG, JPEG, WebP), else bytes. */
function contentTypeOf(dataUrlType: string | undefined, bytes: Uint8Array): string {
  if (dataUrlType !== undefined) return dataUrlType;
  const starts = (...magic: number[]) => magic.every((byte, i) => bytes[i] === byte);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...bytes.subarray(8, 12)) === "WEBP")
    return "image/webp";
  return "application/octet-stream";
}

async function inputOf(image: string): Promise<RunInput> {
  const dataUrl = /^data:(image\/[a-z0-9.+-]+);base64,/.exec(image);
  const bytes = fromBase64(dataUrl ? image.slice(dataUrl[0].length) : image);
  return {
    digest: `sha256:${await sha256Hex(bytes)}`,
    bytes,
    contentType: contentTypeOf(dataUrl?.[1], bytes),
  };
}

/**
 * The request as a run records it: each input image replaced by a reference to its digest
 * (`{"$input": "sha256:…"}`), so the row stays small and names exactly the bytes it ran on; and
 * the distinct inputs, to keep.
 *
 * @example
 * const { request, inputs } = await withInputReferences(resolved);
 */
export async function withInputReferences(
  resolved: ResolvedGenerationRequest,
): Promise<{ request: Record<string, unknown>; inputs: RunInput[] }> {
  const { image, mask, controlnet, ...asked } = resolved;
  const seen = new Map<string, RunInput>();
  const reference = async (value: string): Promise<InputReference> => {
    const input = await inputOf(value);
    seen.set(input.digest, input);
    return { [INPUT_REFERENCE_FIELD]: input.digest };
  };
  const request: Record<string, unknown> = {
    ...asked,
    image: image === null ? null : await reference(image),
    mask: mask === null ? null : await reference(mask),
  };
  if (controlnet !== undefined)
    request.controlnet = await Promise.all(
      controlnet.map(async (unit) => ({ ...unit, image: await reference(unit.image) })),
    );
  return { request, inputs: [...seen.values()] };
}

/** The distinct digests a recorded request refers to (`image`, `mask`, `controlnet[].image`). */
export function inputDigestsOf(request: Record<string, unknown>): string[] {
  const units = Array.isArray(request.controlnet) ? (request.controlnet as unknown[]) : [];
  const values = [
    request.image,
    request.mask,
    ...units.map((unit) =>
      typeof unit === "object" && unit !== null ? (unit as { image?: unknown }).image : null,
    ),
  ];
  return [...new Set(values.map(inputDigestOf).filter((digest) => digest !== null))];
}

/**
 * Keeps a run's inputs in R2, each once: an image its owner already has is not written again.
 * Returns how many were written.
 *
 * @example
 * await keepInputs(env.IMAGES, await tenantTag(ownerOf(scope)), inputs);
 */
export async function keepInputs(
  bucket: R2Bucket,
  ownerTag: string,
  inputs: readonly RunInput[],
): Promise<number> {
  const written = await Promise.all(
    inputs.map(async (input) => {
      const key = inputObjectKey(ownerTag, input.digest);
      if ((await bucket.head(key)) !== null) return 0;
      await bucket.put(key, input.bytes, { httpMetadata: { contentType: input.contentType } });
      return 1;
    }),
  );
  return written.reduce<number>((sum, one) => sum + one, 0);
}
