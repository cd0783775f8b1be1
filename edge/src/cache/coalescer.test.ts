import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { coalescerName } from "./coalescer.ts";

function freshKey(): string {
  return (crypto.randomUUID() + crypto.randomUUID()).replaceAll("-", "");
}

function shardOf(cacheKey: string) {
  return env.GENERATION_COALESCER.getByName(coalescerName(cacheKey));
}

describe("GenerationCoalescer's index of stored keys", () => {
  it("answers absent for a key it never stored, stored once told, and keeps that across an eviction", async () => {
    const key = freshKey();
    const shard = shardOf(key);
    expect(await shard.lookup(key)).toEqual({ state: "absent" });
    await shard.markStored(key);
    expect(await shard.lookup(key)).toEqual({ state: "stored", record: null });
    await evictDurableObject(shard);
    expect(await shardOf(key).lookup(key)).toEqual({ state: "stored", record: null });
  });

  it("does not answer for a neighbour: keys of one shard are told apart", async () => {
    const key = freshKey();
    const neighbour = `${key.slice(0, 2)}${"0".repeat(62)}`;
    await shardOf(key).markStored(key);
    expect(coalescerName(neighbour)).toBe(coalescerName(key));
    expect(await shardOf(neighbour).lookup(neighbour)).toEqual({ state: "absent" });
  });
});
