/**
 * The hot tier of the replay cache: the finished `b64_json` body of a generation, first in this
 * isolate's memory (a small LRU), then in the Cache API (`caches.default`, per data centre) under a
 * synthetic URL that no client can request. A hit in memory costs no I/O at all; one in the Cache API
 * one local lookup and no R2 read; R2 stays the record when both have let it go. A fresh generation
 * is kept in memory only; the Cache API gets its copy from the first hit that had to read R2.
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

/** The Cache API URL of a body: a synthetic origin no client can request. */
export function hotUrl(tenantTag: string, cacheKey: string): string {
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

/** This isolate's copy of the body, or `null`: no I/O, so it is asked before anything else. */
export function memoryGet(tenantTag: string, cacheKey: string): string | null {
  const url = hotUrl(tenantTag, cacheKey);
  const inMemory = memory.get(url);
  if (inMemory === undefined) return null;
  memory.delete(url);
  memory.set(url, inMemory);
  return inMemory;
}

/**
 * Keeps a body in this isolate's memory only. A fresh generation goes here and not to the Cache API:
 * a Cache API write costs about as much as an R2 write, and most generations are never asked for
 * again, so the colo's copy is made by the first hit that has to read R2 ({@link hotPut}).
 */
export function memoryPut(tenantTag: string, cacheKey: string, body: string): void {
  remember(hotUrl(tenantTag, cacheKey), body);
}

/** The cached body (this isolate's memory, then the colo's Cache API), or `null`; a broken Cache API is a miss, never an error. */
export async function hotGet(tenantTag: string, cacheKey: string): Promise<string | null> {
  const inMemory = memoryGet(tenantTag, cacheKey);
  if (inMemory !== null) return inMemory;
  const url = hotUrl(tenantTag, cacheKey);
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
