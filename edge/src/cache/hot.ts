/**
 * The hot tier of the replay cache: the finished `b64_json` body of a generation in the Cache API
 * (`caches.default`, per data centre), under a synthetic URL that no client can request. A hit there
 * costs one local lookup and no R2 read; R2 stays the record when the colo's cache has evicted it.
 */
const HOT_ORIGIN = "https://replay-cache.sdgate.invalid";
/** How long a colo keeps a hot copy; R2 has it for good. */
export const HOT_TTL_S = 86_400;

function hotUrl(tenantTag: string, cacheKey: string): string {
  return `${HOT_ORIGIN}/v1/${tenantTag}/${cacheKey}`;
}

/** The cached body, or `null`; a broken Cache API is a miss, never an error. */
export async function hotGet(tenantTag: string, cacheKey: string): Promise<string | null> {
  try {
    const response = await caches.default.match(hotUrl(tenantTag, cacheKey));
    return response ? await response.text() : null;
  } catch {
    return null;
  }
}

export async function hotPut(tenantTag: string, cacheKey: string, body: string): Promise<void> {
  try {
    await caches.default.put(
      hotUrl(tenantTag, cacheKey),
      new Response(body, {
        headers: { "content-type": "application/json", "cache-control": `public, max-age=${HOT_TTL_S}` },
      }),
    );
  } catch {
    // The hot tier is an optimisation; R2 still has the record.
  }
}
