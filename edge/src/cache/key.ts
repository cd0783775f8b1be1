import { canonicalJson, canonicalRequest, type ResolvedGenerationRequest, sha256Hex } from "@sdgate/shared";
import type { Registry } from "../backends/registry.ts";

/** Bumped when the cache key's recipe changes, so every old entry stops matching at once. */
export const CACHE_KEY_VERSION = 1;

/** Who owns a key's images: its owner when the record names one, else the key itself. */
export function tenantOf(key: { id: string; owner?: string | undefined }): string {
  return key.owner ?? key.id;
}

/**
 * A tenant's namespace in storage and in image ids: 128 bits of SHA-256 of the tenant, so paths and
 * URLs name no key id, and no two tenants share a namespace.
 */
export async function tenantTag(tenant: string): Promise<string> {
  return (await sha256Hex(`sdgate-tenant:${tenant}`)).slice(0, 32);
}

/**
 * The replay cache key: SHA-256 of everything that decides the image bytes (the canonical resolved
 * request, with its seed, rng, every parameter after defaults and the output format; the model's
 * build hash and the engine version from the registry) and of the tenant, so identical requests of
 * two tenants never share an entry. A resolved request always has a fixed seed (given, or assigned
 * and returned to the caller), so every resolved request is replayable.
 *
 * @example
 * const key = await cacheKey("key_abc", resolved, registry);
 */
export function cacheKey(
  tenant: string,
  request: ResolvedGenerationRequest,
  registry: Pick<Registry, "engineVersion" | "modelHashes">,
): Promise<string> {
  return cacheKeyOfCanonical(tenant, request.model, canonicalRequest(request), registry);
}

/** {@link cacheKey} from the request's `canonicalRequest()` text, for a caller that already made it. */
export function cacheKeyOfCanonical(
  tenant: string,
  model: string,
  canonical: string,
  registry: Pick<Registry, "engineVersion" | "modelHashes">,
): Promise<string> {
  return sha256Hex(
    canonicalJson({
      v: CACHE_KEY_VERSION,
      tenant,
      engine: registry.engineVersion,
      model_hash: registry.modelHashes[model] ?? null,
      request: canonical,
    }),
  );
}
