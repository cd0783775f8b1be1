import type { ModelArchitecture, PromptPolicy, ResolvedGenerationRequest } from "@sdgate/shared";
import type { SplitDraw } from "../canary/active-split.ts";
import type { EdgeConfig } from "../env.ts";

/**
 * What preparing a request body works out before any I/O: the checked request, its resolution, its
 * cost, its audit hash and its cache entry. Each is a pure function of the body's text, the tenant and
 * the edge's config, so the same text from the same tenant under the same config always prepares to
 * the same values.
 */
export interface PreparedBody<R> {
  request: R;
  resolved: ResolvedGenerationRequest;
  cost: number;
  hash: string;
  where: { tenantTag: string; cacheKey: string };
  /**
   * What the request's `model` served: the reference grants are checked against, its alias, and its
   * architecture (what its estimate is priced by).
   */
  served: {
    ref: string;
    alias: string | null;
    policy: PromptPolicy | null;
    split: SplitDraw | null;
    architecture: ModelArchitecture;
    /** What `refiner.model` served, checked against the same grants; `null`: no refiner. */
    refinerRef: string | null;
  };
  /** Until when the preparation holds (the registry alias it resolved may move); `null`: always. */
  untilMs: number | null;
}

/** Bodies longer than this are not remembered (img2img inputs, long prompts): a replay is a short body. */
export const MEMO_MAX_BODY_CHARS = 8 * 1024;
/** The most bodies one isolate remembers per config (at most 4 MiB of body text). */
export const MEMO_MAX_ENTRIES = 512;

// Per config object (one per isolate in production; tests pass their own env), tenant + body text →
// its preparation. Insertion order is recency order: a hit moves its entry to the end.
const memos = new WeakMap<EdgeConfig, Map<string, PreparedBody<unknown>>>();

function memoKey(tenant: string, text: string): string {
  return `${tenant}\n${text}`;
}

/**
 * The preparation of a body this isolate has seen from this tenant, or `undefined`. A replayed
 * request repeats its body byte for byte, so a cache hit skips JSON parsing, validation, resolution
 * and three SHA-256 digests; the checks themselves are the same ones, run when the text was first seen.
 */
export function recallPrepared<R>(
  config: EdgeConfig,
  tenant: string,
  text: string,
): PreparedBody<R> | undefined {
  if (text.length > MEMO_MAX_BODY_CHARS) return undefined;
  const memo = memos.get(config);
  const key = memoKey(tenant, text);
  const found = memo?.get(key);
  if (!memo || !found) return undefined;
  if (found.untilMs !== null && found.untilMs <= Date.now()) {
    memo.delete(key);
    return undefined;
  }
  memo.delete(key);
  memo.set(key, found);
  return found as PreparedBody<R>;
}

/**
 * Remembers a body's preparation. Only for a body that fixes its seed: one without gets a new random
 * seed each time, so its preparation is not a function of its text.
 */
export function rememberPrepared<R>(
  config: EdgeConfig,
  tenant: string,
  text: string,
  prepared: PreparedBody<R>,
): void {
  if (text.length > MEMO_MAX_BODY_CHARS) return;
  // Shared by every later request with this body: frozen, so none of them can change it for the next.
  Object.freeze(prepared.request);
  Object.freeze(prepared.resolved);
  Object.freeze(prepared.where);
  Object.freeze(prepared);
  let memo = memos.get(config);
  if (!memo) {
    memo = new Map();
    memos.set(config, memo);
  }
  memo.set(memoKey(tenant, text), prepared);
  if (memo.size > MEMO_MAX_ENTRIES) {
    const oldest = memo.keys().next().value;
    if (oldest !== undefined) memo.delete(oldest);
  }
}
