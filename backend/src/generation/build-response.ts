import type { BackendGenerateResponse, ResolvedGenerationRequest } from "@sdgate/shared";
import { encodeImage, type GenerationResult } from "../engine/index.ts";

/** Encodes a job's images in the requested format and reports where the time went (ms, as the contract says). */
export async function buildResponse(
  request: ResolvedGenerationRequest,
  result: GenerationResult,
): Promise<BackendGenerateResponse> {
  const encodeStartedMs = performance.now();
  const images = await Promise.all(
    result.images.map(async (image) => {
      const bytes = await encodeImage(image, request.output_format, request.output_quality ?? undefined);
      return {
        seed: image.seed,
        width: image.width,
        height: image.height,
        b64: Buffer.from(bytes).toString("base64"),
      };
    }),
  );
  const imageEncodeMs = performance.now() - encodeStartedMs;
  const { tokenize, textEncode, prepareLatents, denoise, decode, total } = result.timingsMs;
  return {
    model: request.model,
    model_hash: result.modelHash,
    execution_provider: result.executionProvider,
    output_format: request.output_format,
    images,
    timings_ms: {
      tokenize,
      prepare_latents: prepareLatents,
      text_encode: textEncode,
      denoise,
      decode,
      image_encode: imageEncodeMs,
      total: total + imageEncodeMs,
    },
  };
}
