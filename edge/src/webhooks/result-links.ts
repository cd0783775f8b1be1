import type { UrlGenerationResponse } from "@sdgate/shared";
import type { GenerationRecord } from "../cache/record.ts";
import { IMAGE_URL_TTL_S, MIN_URL_SIGNING_KEY_CHARS, signedImagePath } from "../cache/signed-url.ts";

/**
 * The result a webhook carries: the response the synchronous route would give for
 * `response_format: "url"`, its links signed at this delivery attempt (so a retry hours later still
 * sends links valid for {@link IMAGE_URL_TTL_S} seconds). Images are never inlined: a webhook body
 * stays small, and receivers fetch what they want. `null` when links cannot be made (no signing key,
 * or a job stored before the edge recorded its public origin); the receiver then reads the job.
 */
export async function linkedResult(
  record: GenerationRecord,
  where: { tenantTag: string; cacheKey: string },
  signingKey: string | undefined,
  origin: string | null | undefined,
  nowS: number,
): Promise<UrlGenerationResponse | null> {
  if (signingKey === undefined || signingKey.length < MIN_URL_SIGNING_KEY_CHARS || !origin) return null;
  const expiresS = nowS + IMAGE_URL_TTL_S;
  const data = await Promise.all(
    record.images.map(async (image, index) => ({
      url: `${origin}${await signedImagePath(signingKey, { ...where, index, format: record.output_format }, expiresS)}`,
      seed: image.seed,
    })),
  );
  return {
    created: record.created,
    data,
    model: record.model,
    output_format: record.output_format,
    size: `${record.width}x${record.height}`,
    backend: record.backend,
    timings_ms: record.timings_ms,
  };
}
