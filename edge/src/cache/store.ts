import { CONTENT_TYPES, fromBase64, type GenerationRecord, toBase64 } from "./record.ts";

/**
 * The replay cache's bodies in R2 (binding `IMAGES`), under the tenant's namespace:
 *   `img/{tenantTag}/{cacheKey}/{index}`  one object per image, with its content type; image 0 also
 *                                          carries the rest of the record (custom metadata `record`)
 *                                          and is written last, so its record means every image is
 *                                          there. A generation of one image is one object to
 *                                          replay (one read), two writes with its thumbnail.
 *   `img/{tenantTag}/{cacheKey}/thumb-{index}`  the image's thumbnail (WebP), when the backend made one:
 *                                          under `img/`, so it expires with its image
 *   `gen/{tenantTag}/{cacheKey}.json`     the rest of the record, as entries written before image 0
 *                                          carried it have it (still read), and as a record too large
 *                                          for R2's metadata is written (see {@link MAX_RECORD_METADATA_CHARS})
 */
export function imageObjectKey(tenantTag: string, cacheKey: string, index: number): string {
  return `img/${tenantTag}/${cacheKey}/${index}`;
}

/** Where an image's thumbnail is kept: beside it, under the same lifecycle prefix. */
export function thumbnailObjectKey(tenantTag: string, cacheKey: string, index: number): string {
  return `img/${tenantTag}/${cacheKey}/thumb-${index}`;
}

export function manifestKey(tenantTag: string, cacheKey: string): string {
  return `gen/${tenantTag}/${cacheKey}.json`;
}

/** The record without its image bytes: what image 0's metadata (or the `.json` manifest) holds. */
export type Manifest = Omit<GenerationRecord, "images"> & {
  images: Array<Omit<GenerationRecord["images"][number], "b64" | "thumb">>;
};

/** The custom metadata field of image 0 that holds the {@link Manifest} as JSON. */
export const RECORD_METADATA_FIELD = "record";
/**
 * R2 allows 8,192 bytes of metadata per object (developers.cloudflare.com/r2/platform/limits); a
 * record is a few hundred. Past half the limit (the seed field and headers share it) the record goes
 * to the `.json` manifest instead, written before image 0, so image 0 still commits the entry.
 */
export const MAX_RECORD_METADATA_CHARS = 4096;

/**
 * Stores a generation's images and record: images 1… first, then image 0 with the record, so a reader
 * that finds image 0's record finds every image.
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
  const put = (index: number, metadata: Record<string, string>) => {
    const image = record.images[index];
    if (image === undefined) throw new RangeError(`putGeneration: no image ${index}`);
    return bucket.put(imageObjectKey(tenantTag, cacheKey, index), fromBase64(image.b64), {
      httpMetadata: { contentType },
      customMetadata: { seed: String(image.seed), ...metadata },
    });
  };
  // Thumbnails first too: image 0, written last, still means the whole entry is there.
  const thumbnails = record.images.map((image, index) =>
    image.thumb === undefined
      ? null
      : bucket.put(thumbnailObjectKey(tenantTag, cacheKey, index), fromBase64(image.thumb), {
          httpMetadata: { contentType: CONTENT_TYPES.webp },
        }),
  );
  await Promise.all([...thumbnails, ...record.images.slice(1).map((_, i) => put(i + 1, {}))]);
  const manifest: Manifest = {
    ...record,
    images: record.images.map(({ b64: _, thumb: _thumb, ...image }) => image),
  };
  const json = JSON.stringify(manifest);
  if (json.length > MAX_RECORD_METADATA_CHARS) {
    await bucket.put(manifestKey(tenantTag, cacheKey), json, {
      httpMetadata: { contentType: "application/json" },
    });
    await put(0, {});
    return;
  }
  await put(0, { [RECORD_METADATA_FIELD]: json });
}

/** The stored generation, or `null` when there is none (or it is incomplete). */
export async function getGeneration(
  bucket: R2Bucket,
  tenantTag: string,
  cacheKey: string,
): Promise<GenerationRecord | null> {
  const first = await bucket.get(imageObjectKey(tenantTag, cacheKey, 0));
  if (first === null) return null;
  const inline = first.customMetadata?.[RECORD_METADATA_FIELD];
  const firstB64 = toBase64(new Uint8Array(await first.arrayBuffer()));
  let manifest: Manifest;
  if (inline !== undefined) {
    manifest = JSON.parse(inline) as Manifest;
  } else {
    // An entry stored before image 0 carried its record, or one whose record was too large for it.
    const manifestObject = await bucket.get(manifestKey(tenantTag, cacheKey));
    if (manifestObject === null) return null;
    manifest = (await manifestObject.json()) as Manifest;
  }
  const rest = await Promise.all(
    manifest.images.slice(1).map(async (_, i) => {
      const object = await bucket.get(imageObjectKey(tenantTag, cacheKey, i + 1));
      return object === null ? null : toBase64(new Uint8Array(await object.arrayBuffer()));
    }),
  );
  const bytes = [firstB64, ...rest];
  if (bytes.some((b64) => b64 === null) || manifest.images.length === 0) return null;
  return {
    ...manifest,
    images: manifest.images.map((image, index) => ({ ...image, b64: bytes[index] as string })),
  };
}
