import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { resolveGenerationRequest, TINY_MODEL } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { configFor } from "../env.ts";
import { coalescerName } from "./coalescer.ts";
import type { FleetRun } from "./fleet-run.ts";

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

describe("GenerationCoalescer.run", () => {
  // The route skips the lookup for a seed it drew itself (a key nobody can have asked for yet); should
  // that seed match a stored one after all, `run` must send the request to the store, not the fleet.
  it("answers STORED for an indexed key without running it", async () => {
    const key = freshKey();
    await shardOf(key).markStored(key);
    const resolved = resolveGenerationRequest({ prompt: "stored already", size: "64x64" }, TINY_MODEL, 7);
    if (!resolved.ok) throw new Error(resolved.error.message);
    const run: FleetRun = {
      tenantTag: "t",
      cacheKey: key,
      request: resolved.value,
      registry: configFor(env).registry,
      timeoutMs: 1000,
      location: {},
      requestId: "req_stored",
    };
    expect(await shardOf(key).run(run, { waitForStore: false, forgetStored: false })).toEqual({
      cache: "STORED",
    });
  });
});
