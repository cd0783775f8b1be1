import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { objectsOf, seededRecord, seedLegacy } from "../test-support/replay-cache.ts";
import type { GenerationRecord } from "./record.ts";
import {
  getGeneration,
  imageObjectKey,
  MAX_RECORD_METADATA_CHARS,
  manifestKey,
  putGeneration,
} from "./store.ts";

function place() {
  const id = crypto.randomUUID().replaceAll("-", "");
  return { tenantTag: id, cacheKey: `${id}${id}` };
}

describe("replay cache in R2", () => {
  it("stores a one-image generation as one object and reads it back whole", async () => {
    const where = place();
    const record = seededRecord(7);
    await putGeneration(env.IMAGES, where.tenantTag, where.cacheKey, record);
    expect(await objectsOf(where.tenantTag)).toEqual([imageObjectKey(where.tenantTag, where.cacheKey, 0)]);
    expect(await getGeneration(env.IMAGES, where.tenantTag, where.cacheKey)).toEqual(record);
  });

  it("stores every image of a batch, the first one last with the record", async () => {
    const where = place();
    const record: GenerationRecord = {
      ...seededRecord(1),
      images: [1, 2, 3].map((seed) => ({ seed, b64: btoa(`image ${seed}`) })),
    };
    await putGeneration(env.IMAGES, where.tenantTag, where.cacheKey, record);
    expect(await objectsOf(where.tenantTag)).toHaveLength(3);
    const first = await env.IMAGES.head(imageObjectKey(where.tenantTag, where.cacheKey, 0));
    const second = await env.IMAGES.head(imageObjectKey(where.tenantTag, where.cacheKey, 1));
    expect(first?.customMetadata?.record).toBeDefined();
    expect(second?.customMetadata?.record).toBeUndefined();
    expect(await getGeneration(env.IMAGES, where.tenantTag, where.cacheKey)).toEqual(record);
  });

  it("still reads an entry stored before image 0 carried the record (images + .json manifest)", async () => {
    const where = place();
    const record = seededRecord(9);
    await seedLegacy(where, record);
    expect(await getGeneration(env.IMAGES, where.tenantTag, where.cacheKey)).toEqual(record);
  });

  it("puts a record too large for R2's metadata in a .json manifest, and reads it back", async () => {
    const where = place();
    const record = { ...seededRecord(4), model: "m".repeat(MAX_RECORD_METADATA_CHARS) };
    await putGeneration(env.IMAGES, where.tenantTag, where.cacheKey, record);
    expect(await objectsOf(where.tenantTag)).toContain(manifestKey(where.tenantTag, where.cacheKey));
    expect(await getGeneration(env.IMAGES, where.tenantTag, where.cacheKey)).toEqual(record);
  });

  it("finds nothing for an incomplete entry: an image missing, or a legacy image without its manifest", async () => {
    const batch = place();
    await putGeneration(env.IMAGES, batch.tenantTag, batch.cacheKey, {
      ...seededRecord(1),
      images: [1, 2].map((seed) => ({ seed, b64: btoa(`image ${seed}`) })),
    });
    await env.IMAGES.delete(imageObjectKey(batch.tenantTag, batch.cacheKey, 1));
    expect(await getGeneration(env.IMAGES, batch.tenantTag, batch.cacheKey)).toBeNull();
    const legacy = place();
    await seedLegacy(legacy, seededRecord(2));
    await env.IMAGES.delete(manifestKey(legacy.tenantTag, legacy.cacheKey));
    expect(await getGeneration(env.IMAGES, legacy.tenantTag, legacy.cacheKey)).toBeNull();
    expect(await getGeneration(env.IMAGES, "0".repeat(32), "0".repeat(64))).toBeNull();
  });
});
