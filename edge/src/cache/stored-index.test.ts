import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { GenerationCoalescer } from "../gateway/coalescer.ts";
import { INDEX_EXPIRY_MARGIN_MS, INDEX_PRUNE_EVERY_MS, StoredIndex } from "./stored-index.ts";

const DAY_MS = 86_400_000;

/** Runs `fn` with a fresh index in its own shard's storage. */
function withIndex<T>(maxAgeMs: number | undefined, fn: (index: StoredIndex) => T): Promise<T> {
  const stub = env.GENERATION_COALESCER.getByName(`index-test-${crypto.randomUUID()}`);
  return runInDurableObject(stub, (_instance: GenerationCoalescer, state) =>
    fn(new StoredIndex(state.storage.sql, maxAgeMs)),
  );
}

describe("the coalescers' stored index", () => {
  it("stops saying stored before R2's lifecycle rule deletes the object, and a new store counts anew", async () => {
    await withIndex(7 * DAY_MS, (index) => {
      const storedMs = Date.UTC(2027, 0, 1);
      index.mark("k", storedMs);
      expect(index.has("k", storedMs + 7 * DAY_MS - INDEX_EXPIRY_MARGIN_MS - 1)).toBe(true);
      expect(index.has("k", storedMs + 7 * DAY_MS - INDEX_EXPIRY_MARGIN_MS)).toBe(false);
      expect(index.has("k", storedMs + 7 * DAY_MS)).toBe(false);
      index.mark("k", storedMs + 6 * DAY_MS);
      expect(index.has("k", storedMs + 7 * DAY_MS)).toBe(true);
    });
  });

  it("expires with the default cache retention of 30 days when the shard is given none", async () => {
    await withIndex(undefined, (index) => {
      index.mark("k", 0);
      expect(index.has("k", 29 * DAY_MS)).toBe(true);
      expect(index.has("k", 30 * DAY_MS)).toBe(false);
    });
  });

  it("deletes expired entries from the shard's storage, at most once an hour", async () => {
    await withIndex(DAY_MS, (index) => {
      const startMs = Date.UTC(2027, 0, 1);
      for (let i = 0; i < 50; i++) index.mark(`old-${i}`, startMs);
      expect(index.size()).toBe(50);
      const laterMs = startMs + 2 * DAY_MS;
      index.mark("fresh", laterMs);
      expect(index.size()).toBe(1);
      index.mark("old-again", laterMs - 2 * DAY_MS);
      index.mark("fresh-2", laterMs + INDEX_PRUNE_EVERY_MS - 1);
      expect(index.size()).toBe(3);
      index.mark("fresh-3", laterMs + INDEX_PRUNE_EVERY_MS);
      expect(index.size()).toBe(3);
      expect(index.has("old-again", laterMs)).toBe(false);
    });
  });
});
