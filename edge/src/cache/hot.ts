/**
 * The hot tier of the replay cache: the finished `b64_json` body of a generation, first in this
 * isolate's memory (a small LRU), then in the Cache API (`caches.default`, per data centre) under a
 * synthetic URL that no client can request. A hit in memory costs no I/O at all; one in the Cache API
 * one local lookup and no R2 read; R2 stays the record when both have let it go.
 *
 * A cache key names one generation of one tenant, and a replay answers with the same bytes, so a copy
 * never goes stale in a way a client could tell, except after `Cache-Control: no-cache` re-ran the
 * job: other isolates and colos then keep the previous result until their copy is evicted, exactly as
 * the Cache API already did per colo.
 */
const HOT_ORIGIN = "https://replay-cache.sdgate.invalid";
/** How long a colo keeps a hot copy; R2 has it for good. */
export const HOT_TTL_S = 86_400;
/** The most body characters this isolate keeps in memory (isolates have 128 MB in all). */
export const MEMORY_TIER_MAX_CHARS = 16 * 2 ** 20;
/** A body larger than this goes to the Cache API only, so one image cannot flush the memory tier. */
export const MEMORY_TIER_MAX_BODY_CHARS = 2 * 2 ** 20;

function hotUrl(tenantTag: string, cacheKey: string): string {
  return `${HOT_ORIGIN}/v1/${tenantTag}/${cacheKey}`;
}

// Insertion order is recency order: a hit moves its entry to the end, eviction takes the first.
const memory = new Map<string, string>();
let memoryChars = 0;

function remember(url: string, body: string): void {
  forget(url);
  if (body.length > MEMORY_TIER_MAX_BODY_CHARS) return;
  memory.set(url, body);
  memoryChars += body.length;
  for (const [oldest, oldBody] of memory) {
    if (memoryChars <= MEMORY_TIER_MAX_CHARS) break;
    memory.delete(oldest);
    memoryChars -= oldBody.length;
  }
}

function forget(url: string): void {
  const body = memory.get(url);
  if (body === undefined) return;
  memory.delete(url);
  memoryChars -= body.length;
}

/** The cached body, or `null`; a broken Cache API is a miss, never an error. */
export async function hotGet(tenantTag: string, cacheKey: string): Promise<string | null> {
  const url = hotUrl(tenantTag, cacheKey);
  const inMemory = memory.get(url);
  if (inMemory !== undefined) {
    memory.delete(url);
    memory.set(url, inMemory);
    return inMemory;
  }
  try {
    const response = await caches.default.match(url);
    if (!response) return null;
    const body = await response.text();
    remember(url, body);
    return body;
  } catch {
    return null;
  }
}

export async function hotPut(tenantTag: string, cacheKey: string, body: string): Promise<void> {
  const url = hotUrl(tenantTag, cacheKey);
  remember(url, body);
  try {
    await caches.default.put(
      url,
      new Response(body, {
        headers: { "content-type": "application/json", "cache-control": `public, max-age=${HOT_TTL_S}` },
      }),
    );
  } catch {
    // The hot tier is an optimisation; R2 still has the record.
  }
}
