import { describe, expect, it } from "vitest";
import { DEFAULT_ENGINE_VERSION, registrySchema } from "./registry.ts";

const pool = { name: "a", url: "http://127.0.0.1:8101/", provider: "p", region: "eu-west", priority: 1 };

describe("the backend registry", () => {
  it("accepts a bare list of pools, with every policy defaulted and a fleet named after the pools", () => {
    const registry = registrySchema.parse([pool, { ...pool, name: "b", priority: 0 }]);
    expect(registry.pools.map((p) => p.name)).toEqual(["b", "a"]);
    expect(registry.pools[1]?.url).toBe("http://127.0.0.1:8101");
    expect(registry.fleet).toMatch(/^fleet-[0-9a-f]{16}$/);
    expect(registry.fleet).toBe(registrySchema.parse([pool, { ...pool, name: "b", priority: 0 }]).fleet);
    expect(registry.fleet).not.toBe(registrySchema.parse([pool]).fleet);
    expect(registry.engineVersion).toBe(DEFAULT_ENGINE_VERSION);
    expect(registry.retry).toMatchObject({ attempts: 3, budget_ratio: 0.2 });
    expect(registry.breaker).toMatchObject({ failure_threshold: 3, cooldown_ms: 5_000 });
  });

  it("accepts the full form infra writes: fleet, model hashes, engine, policies, weights and nearness", () => {
    const registry = registrySchema.parse({
      fleet: "prod",
      engine_version: "sdgate-engine/7",
      models: { tiny: "sha256:abc" },
      retry: { attempts: 2, on_status_codes: [503] },
      breaker: { cooldown_ms: 1_000 },
      pools: [{ ...pool, weight: 3, near: ["FRA", "DE", "EU"] }],
    });
    expect(registry).toMatchObject({
      fleet: "prod",
      engineVersion: "sdgate-engine/7",
      modelHashes: { tiny: "sha256:abc" },
      retry: { attempts: 2, on_status_codes: [503], budget_burst: 10 },
      breaker: { cooldown_ms: 1_000, failure_threshold: 3 },
    });
    expect(registry.pools[0]).toMatchObject({ weight: 3, near: ["FRA", "DE", "EU"] });
  });

  it.each([
    ["an unknown top-level field", { pools: [pool], strategy: "fallback" }],
    ["a retry on a plain 4xx", { pools: [pool], retry: { on_status_codes: [400] } }],
    ["a negative weight", [{ ...pool, weight: -1 }]],
    ["no pools", { pools: [] }],
    ["a bad fleet name", { fleet: "a b", pools: [pool] }],
  ])("refuses %s", (_, value) => {
    expect(registrySchema.safeParse(value).success).toBe(false);
  });
});
