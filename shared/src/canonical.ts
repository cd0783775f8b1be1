import { sha256Hex } from "./encoding.ts";
import type { ResolvedGenerationRequest } from "./generation-request.ts";

/** Bumped whenever the meaning of a canonical request changes, so old cache keys stop matching. */
export const CANONICAL_VERSION = 1;

/**
 * JSON with object keys sorted at every level and no whitespace: two requests that mean the same
 * thing serialise to the same bytes whatever order their fields arrived in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) throw new TypeError("Non-finite number");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** The canonical form of a resolved request: every parameter that decides the image bytes, versioned. */
export function canonicalRequest(request: ResolvedGenerationRequest): string {
  return canonicalJson({ v: CANONICAL_VERSION, ...request });
}

/** SHA-256 (hex) of {@link canonicalRequest}: identical for requests that must give identical images. */
export function requestHash(request: ResolvedGenerationRequest): Promise<string> {
  return sha256Hex(canonicalRequest(request));
}
