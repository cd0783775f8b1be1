import { z } from "zod";
import { OUTPUT_FORMATS } from "./generation-request.ts";
import { imageSafetySchema } from "./safety.ts";

// Fields added after the first release are optional: edges and backends are deployed separately, so
// each side must read the other's older answers.
const timingsSchema = z.object({
  tokenize: z.number().optional(),
  text_encode: z.number(),
  prepare_latents: z.number().optional(),
  denoise: z.number(),
  decode: z.number(),
  /** The output safety check, when the model's policy runs it. */
  safety_check: z.number().optional(),
  image_encode: z.number(),
  total: z.number(),
});

/** What `POST /internal/v1/generate` answers: the encoded images and where the time went. */
export const backendGenerateResponseSchema = z.object({
  model: z.string(),
  /** A1111-style short hash of the model's UNet weights. */
  model_hash: z.string().optional(),
  /** The onnxruntime execution provider that ran it, e.g. `cuda` or `cpu`. */
  execution_provider: z.string().optional(),
  output_format: z.enum(OUTPUT_FORMATS),
  /** The digest of the model files that ran it (the registry's version digest). */
  model_digest: z.string().optional(),
  images: z
    .array(
      z.object({
        seed: z.number().int(),
        width: z.number().int(),
        height: z.number().int(),
        b64: z.string(),
        /**
         * A WebP of the image as served, at most `RUN_THUMBNAIL_PX` a side, base64: the edge keeps it
         * beside the image for lists (the run history). Absent from backends that predate it.
         */
        thumb_b64: z.string().optional(),
        /** Present when the request asked for the safety check. */
        safety: imageSafetySchema.optional(),
      }),
    )
    .min(1),
  /** With `return_control_maps`: each ControlNet unit's map as it ran (PNG, base64), by unit index. */
  control_maps: z.array(z.object({ unit: z.number().int().min(0), b64: z.string() })).optional(),
  timings_ms: timingsSchema,
});
export type BackendGenerateResponse = z.infer<typeof backendGenerateResponseSchema>;

/**
 * `POST /v1/images/generations` answers in OpenAI's shape (`created`, `data[].b64_json`), so OpenAI
 * SDKs read it unchanged; each image also carries its `seed`, and the extra fields say what served it.
 */
export const generationResponseSchema = z.object({
  created: z.number().int(),
  data: z
    .array(z.object({ b64_json: z.string(), seed: z.number().int(), safety: imageSafetySchema.optional() }))
    .min(1),
  model: z.string(),
  /** For a model the registry governs: the version that ran (`v3`), whichever alias was asked for. */
  model_version: z.string().optional(),
  output_format: z.enum(OUTPUT_FORMATS),
  size: z.string(),
  backend: z.string(),
  /** With `return_control_maps`: each ControlNet unit's processed map (PNG), by unit index; inline, even with `response_format: "url"`. */
  control_maps: z.array(z.object({ unit: z.number().int().min(0), b64_json: z.string() })).optional(),
  timings_ms: timingsSchema,
});
export type GenerationResponse = z.infer<typeof generationResponseSchema>;

/**
 * `response_format: "url"`: OpenAI's `data[].url` instead of `b64_json`, links to `GET /v1/images/{id}`
 * on the edge, signed and expiring; each image still carries its `seed`.
 *
 * @example
 * urlGenerationResponseSchema.parse(await response.json()).data[0].url;
 */
export const urlGenerationResponseSchema = generationResponseSchema.extend({
  data: z
    .array(z.object({ url: z.string(), seed: z.number().int(), safety: imageSafetySchema.optional() }))
    .min(1),
});
/**
 * A generation answered with links.
 *
 * @example
 * const { response } = await client.images.generate({ prompt: "x", response_format: "url" });
 * const link: string = response.data[0].url;
 */
export type UrlGenerationResponse = z.infer<typeof urlGenerationResponseSchema>;
