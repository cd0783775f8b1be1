import { env } from "cloudflare:workers";
import { DEFAULT_MODEL_ID, parseGenerationRequest, resolveGenerationRequest } from "@sdgate/shared";
import { cacheKey, tenantTag } from "../cache/key.ts";
import type { GenerationRecord } from "../cache/record.ts";
import { manifestKey, putGeneration } from "../cache/store.ts";
import { configFor, type Env } from "../env.ts";
import { coalescerName } from "../gateway/coalescer.ts";
import { findModel } from "../models.ts";

export type Where = { tenantTag: string; cacheKey: string };

/** Where the route keeps `body` of the key `keyId` (its own tenant) in the replay cache. */
export async function whereOf(
  body: { seed: number } & Record<string, unknown>,
  keyId: string,
  testEnv: Env,
): Promise<Where> {
  const config = configFor(testEnv);
  const parsed = parseGenerationRequest(body);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const model = findModel(config.models, parsed.value.model ?? DEFAULT_MODEL_ID);
  if (!model) throw new Error("whereOf: unknown model");
  const resolved = resolveGenerationRequest(parsed.value, model, body.seed);
  if (!resolved.ok) throw new Error(resolved.error.message);
  return {
    tenantTag: await tenantTag(keyId),
    cacheKey: await cacheKey(keyId, resolved.value, config.registry),
  };
}

/** A record no backend made: its `backend` says where a replay came from. */
export function seededRecord(seed: number, backend = "seeded-in-r2"): GenerationRecord {
  return {
    created: 1_700_000_000,
    model: DEFAULT_MODEL_ID,
    output_format: "png",
    width: 64,
    height: 64,
    backend,
    region: "local",
    timings_ms: { text_encode: 1, denoise: 2, decode: 3, image_encode: 4, total: 10 },
    images: [{ seed, b64: btoa(`not really a png ${crypto.randomUUID()}`) }],
  };
}

/** Stores `record` in R2 as the replay cache does, and (with `indexed`) tells the key's coalescer shard. */
export async function seedStored(where: Where, record: GenerationRecord, indexed: boolean): Promise<void> {
  await putGeneration(env.IMAGES, where.tenantTag, where.cacheKey, record);
  if (indexed)
    await env.GENERATION_COALESCER.getByName(coalescerName(where.cacheKey)).markStored(where.cacheKey);
}

/**
 * Stores `record` as entries were stored before image 0 carried the record: every image, then a
 * `.json` manifest; the coalescer's index never heard of it.
 */
export async function seedLegacy(where: Where, record: GenerationRecord): Promise<void> {
  const image = record.images[0];
  if (!image) throw new Error("seedLegacy: a record needs an image");
  await env.IMAGES.put(
    `img/${where.tenantTag}/${where.cacheKey}/0`,
    Uint8Array.from(atob(image.b64), (ch) => ch.charCodeAt(0)),
    {
      httpMetadata: { contentType: "image/png" },
      customMetadata: { seed: String(image.seed) },
    },
  );
  const { images, ...rest } = record;
  await env.IMAGES.put(
    manifestKey(where.tenantTag, where.cacheKey),
    JSON.stringify({ ...rest, images: images.map(({ seed }) => ({ seed })) }),
  );
}

/** The R2 object keys under a tenant's namespace (images and manifests). */
export async function objectsOf(tag: string): Promise<string[]> {
  const [images, manifests] = await Promise.all([
    env.IMAGES.list({ prefix: `img/${tag}/` }),
    env.IMAGES.list({ prefix: `gen/${tag}/` }),
  ]);
  return [...images.objects, ...manifests.objects].map((object) => object.key).sort();
}
