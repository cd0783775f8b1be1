import { CONTENT_TYPES, fromBase64, type GenerationRecord, toBase64 } from "./record.ts";

/**
 * The replay cache's bodies in R2 (binding `IMAGES`), under the tenant's namespace:
 *   `img/{tenantTag}/{cacheKey}/{index}`  one object per image, with its content type
 *   `gen/{tenantTag}/{cacheKey}.json`     the rest of the record; written last, so its presence
 *                                          means every image is there
 */
export function imageObjectKey(tenantTag: string, cacheKey: string, index: number): string {
  return `img/${tenantTag}/${cacheKey}/${index}`;
}

function manifestKey(tenantTag: string, cacheKey: string): string {
  return `gen/${tenantTag}/${cacheKey}.json`;
}

type Manifest = Omit<GenerationRecord, "images"> & { images: Array<{ seed: number }> };

/**
 * Stores a generation's images and record.
 *
 * @example
 * await putGeneration(env.IMAGES, tag, key, record);
 */
export async function putGeneration(
  bucket: R2Bucket,
  tenantTag: string,
  cacheKey: string,
  record: GenerationRecord,
): Promise<void> {
  const contentType = CONTENT_TYPES[record.output_format];
  await Promise.all(
    record.images.map((image, index) =>
      bucket.put(imageObjectKey(tenantTag, cacheKey, index), fromBase64(image.b64), {
        httpMetadata: { contentType },
        customMetadata: { seed: String(image.seed) },
      }),
    ),
  );
  const manifest: Manifest = { ...record, images: record.images.map(({ seed }) => ({ seed })) };
  await bucket.put(manifestKey(tenantTag, cacheKey), JSON.stringify(manifest), {
    httpMetadata: { contentType: "application/json" },
  });
}

/** The stored generation, or `null` when there is none (or it is incomplete). */
export async function getGeneration(
  bucket: R2Bucket,
  tenantTag: string,
  cacheKey: string,
): Promise<GenerationRecord | null> {
  const manifestObject = await bucket.get(manifestKey(tenantTag, cacheKey));
  if (manifestObject === null) return null;
  const manifest = (await manifestObject.json()) as Manifest;
  const images = await Promise.all(
    manifest.images.map(async ({ seed }, index) => {
      const object = await bucket.get(imageObjectKey(tenantTag, cacheKey, index));
      return object === null ? null : { seed, b64: toBase64(new Uint8Array(await object.arrayBuffer())) };
    }),
  );
  if (images.some((image) => image === null)) return null;
  return { ...manifest, images: images as GenerationRecord["images"] };
}
