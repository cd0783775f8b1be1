import type { GenerationResponse, OutputFormat } from "@sdgate/shared";

/** One finished generation as the cache keeps it: everything a response is built from. */
export interface GenerationRecord {
  /** Unix seconds when a backend made it; a replay answers with the same value, so the same bytes. */
  created: number;
  model: string;
  output_format: OutputFormat;
  width: number;
  height: number;
  backend: string;
  region: string;
  timings_ms: GenerationResponse["timings_ms"];
  images: Array<{ seed: number; b64: string }>;
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
    data: record.images.map((image) => ({ b64_json: image.b64, seed: image.seed })),
    model: record.model,
    output_format: record.output_format,
    size: `${record.width}x${record.height}`,
    backend: record.backend,
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
