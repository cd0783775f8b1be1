import type {
  BackendGenerateResponse,
  GenerationResponse,
  ImageSafety,
  OutputFormat,
  ResolvedGenerationRequest,
} from "@sdgate/shared";

/** One finished generation as the cache keeps it: everything a response is built from. */
export interface GenerationRecord {
  /** Unix seconds when a backend made it; a replay answers with the same value, so the same bytes. */
  created: number;
  model: string;
  /** The registry version that made it (`v3`), for a model the registry governs. */
  model_version?: string;
  output_format: OutputFormat;
  width: number;
  height: number;
  backend: string;
  region: string;
  timings_ms: GenerationResponse["timings_ms"];
  /** Each image; `thumb`: its thumbnail (WebP, base64) when the backend made one, kept only in R2. */
  images: Array<{ seed: number; b64: string; safety?: ImageSafety; thumb?: string }>;
  /** With `return_control_maps`: each ControlNet unit's map (PNG, base64), by unit index. */
  control_maps?: Array<{ unit: number; b64: string }>;
}

/**
 * The record of a backend's answer to `request`, made on `backend`.
 *
 * @example
 * const record = recordOfResponse(response, run.request, backend);
 */
export function recordOfResponse(
  response: BackendGenerateResponse,
  request: ResolvedGenerationRequest,
  backend: { name: string; region: string },
): GenerationRecord {
  return {
    created: Math.floor(Date.now() / 1000),
    model: response.model,
    ...(request.model_version === undefined ? {} : { model_version: request.model_version.version }),
    output_format: response.output_format,
    // the images' own size (hires makes them larger than the request's first pass)
    width: response.images[0]?.width ?? request.width,
    height: response.images[0]?.height ?? request.height,
    backend: backend.name,
    region: backend.region,
    timings_ms: response.timings_ms,
    images: response.images.map(({ seed, b64, safety, thumb_b64 }) => ({
      seed,
      b64,
      ...(safety ? { safety } : {}),
      ...(thumb_b64 === undefined ? {} : { thumb: thumb_b64 }),
    })),
    ...(response.control_maps === undefined ? {} : { control_maps: response.control_maps }),
  };
}

export const CONTENT_TYPES: Record<OutputFormat, string> = {
  png: "image/png",
  webp: "image/webp",
  jpeg: "image/jpeg",
  avif: "image/avif",
};

/** The `b64_json` response body of a record, byte for byte the same for the same record. */
export function b64ResponseBody(record: GenerationRecord): string {
  const body: GenerationResponse = {
    created: record.created,
    data: record.images.map((image) => ({
      b64_json: image.b64,
      seed: image.seed,
      ...(image.safety ? { safety: image.safety } : {}),
    })),
    model: record.model,
    ...(record.model_version === undefined ? {} : { model_version: record.model_version }),
    output_format: record.output_format,
    size: `${record.width}x${record.height}`,
    backend: record.backend,
    ...(record.control_maps === undefined
      ? {}
      : { control_maps: record.control_maps.map(({ unit, b64 }) => ({ unit, b64_json: b64 })) }),
    timings_ms: record.timings_ms,
  };
  return JSON.stringify(body);
}

/** The parts of a `b64_json` body that a `url` response needs. */
export function summary(body: string): GenerationResponse {
  return JSON.parse(body) as GenerationResponse;
}

/** Base64 to bytes without Node's Buffer (the Worker runs without nodejs_compat). */
export function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  // In chunks: String.fromCharCode(...bytes) overflows the stack on large images.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
