import type { BackendGenerateResponse, ResolvedGenerationRequest } from "@sdgate/shared";
import { thumbnailOf } from "../engine/image/thumbnail.ts";
import {
  encodeImage,
  type GeneratedImage,
  type GenerationResult,
  type RgbImage,
  type SafetyChecker,
} from "../engine/index.ts";
import { applySafetyCheck, type SafetyCheckResult } from "./safety-check.ts";

/**
 * Encodes a job's images in the requested format, runs the safety check when the request asks for it
 * (`safetyChecker` is then the model's), and reports where the time went (ms, as the contract says).
 * `controlMaps`: the ControlNet maps the job ran with, returned as PNGs when it asked for them.
 */
export async function buildResponse(
  request: ResolvedGenerationRequest,
  result: GenerationResult,
  safetyChecker?: SafetyChecker,
  controlMaps: readonly RgbImage[] = [],
): Promise<BackendGenerateResponse> {
  const encodeStartedMs = performance.now();
  const encode = (image: GeneratedImage) =>
    encodeImage(image, request.output_format, request.output_quality ?? undefined);
  const encoded = await Promise.all(result.images.map(encode));
  const imageEncodeMs = performance.now() - encodeStartedMs;
  let safety: SafetyCheckResult | undefined;
  if (request.safety_check !== undefined) {
    if (safetyChecker === undefined)
      throw new Error("safety_check asked of a model without a safety checker");
    safety = await applySafetyCheck(safetyChecker, request.safety_check, result.images, encoded, encode);
  }
  const served = result.images.map((_, i) => (safety?.bytes[i] ?? encoded[i]) as Uint8Array);
  // Thumbnails of what is served (after the safety check), for the edge's run history.
  const thumbnailStartedMs = performance.now();
  const thumbnails = await Promise.all(served.map((bytes) => thumbnailOf(bytes)));
  const encodeMs = imageEncodeMs + (performance.now() - thumbnailStartedMs);
  const images = result.images.map((image, i) => {
    const decision = safety?.decisions[i];
    return {
      seed: image.seed,
      width: image.width,
      height: image.height,
      b64: Buffer.from(served[i] as Uint8Array).toString("base64"),
      thumb_b64: Buffer.from(thumbnails[i] as Uint8Array).toString("base64"),
      ...(decision === undefined ? {} : { safety: decision }),
    };
  });
  const maps = await Promise.all(controlMaps.map((map) => encodeImage(map, "png", { metadata: null })));
  const { tokenize, textEncode, prepareLatents, denoise, decode, total } = result.timingsMs;
  return {
    model: request.model,
    model_hash: result.modelHash,
    execution_provider: result.executionProvider,
    output_format: request.output_format,
    images,
    ...(maps.length === 0
      ? {}
      : { control_maps: maps.map((bytes, unit) => ({ unit, b64: Buffer.from(bytes).toString("base64") })) }),
    timings_ms: {
      tokenize,
      prepare_latents: prepareLatents,
      text_encode: textEncode,
      denoise,
      decode,
      image_encode: encodeMs,
      ...(safety === undefined ? {} : { safety_check: safety.ms }),
      total: total + encodeMs + (safety?.ms ?? 0),
    },
  };
}
