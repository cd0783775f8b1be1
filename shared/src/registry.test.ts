import { describe, expect, it } from "vitest";
import { ENGINE_VERSION } from "./engine-version.ts";
import {
  breakerPolicySchema,
  registryDocumentSchema,
  registrySchema,
  registrySettingsSchema,
  retryPolicySchema,
} from "./registry.ts";

const pool = { name: "a", url: "http://127.0.0.1:8101/", provider: "p", region: "eu-west", priority: 1 };

/** Where the schema says a value is wrong, as `SDGATE_BACKENDS.<path>: <message>` lines. */
function refusal(value: unknown): string {
  const result = registrySchema.safeParse(value);
  if (result.success) return "accepted";
  return result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("\n");
}

describe("the backend registry", () => {
  it("accepts a bare list of pools, with every policy defaulted and a fleet named after the pools", () => {
    const registry = registrySchema.parse([pool, { ...pool, name: "b", priority: 0 }]);
    expect(registry.pools.map((p) => p.name)).toEqual(["b", "a"]);
    expect(registry.pools[1]?.url).toBe("http://127.0.0.1:8101");
    expect(registry.fleet).toMatch(/^fleet-[0-9a-f]{16}$/);
    expect(registry.fleet).toBe(registrySchema.parse([pool, { ...pool, name: "b", priority: 0 }]).fleet);
    expect(registry.fleet).not.toBe(registrySchema.parse([pool]).fleet);
    expect(registry.engineVersion).toBe(ENGINE_VERSION);
    expect(registry.modelHashes).toEqual({});
    expect(registry.retry).toEqual({
      attempts: 3,
      on_status_codes: [429, 500, 502, 503, 504],
      backoff_base_ms: 25,
      backoff_cap_ms: 1_000,
      budget_ratio: 0.2,
      budget_burst: 10,
      budget_min_per_second: 1,
    });
    expect(registry.breaker).toEqual({
      failure_threshold: 3,
      error_rate: 0.5,
      window_ms: 10_000,
      min_requests: 10,
      cooldown_ms: 5_000,
    });
  });

  it("reads a document without settings as the bare list of its pools", () => {
    expect(registrySchema.parse({ pools: [pool] })).toEqual(registrySchema.parse([pool]));
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

  it("keeps pools that tie on priority in their listed order", () => {
    const names = ["c", "a", "b"].map((name) => ({ ...pool, name, priority: 0 }));
    expect(registrySchema.parse(names).pools.map((p) => p.name)).toEqual(["c", "a", "b"]);
  });

  it.each([
    ["an unknown top-level field", { pools: [pool], strategy: "fallback" }, ': Unrecognized key: "strategy"'],
    [
      "a retry on a plain 4xx",
      { pools: [pool], retry: { on_status_codes: [400] } },
      "retry.on_status_codes.0: Too small",
    ],
    [
      "a retry on a 4xx above 429",
      { pools: [pool], retry: { on_status_codes: [429, 451] } },
      "retry.on_status_codes: only 429 and 5xx can be retried",
    ],
    [
      "a misspelt retry field",
      { pools: [pool], retry: { attempt: 2 } },
      'retry: Unrecognized key: "attempt"',
    ],
    ["an error rate above 1", { pools: [pool], breaker: { error_rate: 1.5 } }, "breaker.error_rate: Too big"],
    ["a negative weight", { pools: [{ ...pool, weight: -1 }] }, "pools.0.weight: Too small"],
    ["an ftp URL", { pools: [{ ...pool, url: "ftp://x" }] }, "pools.0.url: must be an http(s) URL"],
    [
      "a URL with a query",
      { pools: [{ ...pool, url: "https://x.example/?k=1" }] },
      "pools.0.url: must not have a query or fragment",
    ],
    ["a name with a space", { pools: [{ ...pool, name: "a b" }] }, "pools.0.name: must be 1-64 letters"],
    ["no pools", { pools: [] }, "pools: must list at least one backend"],
    ["two pools of one name", { pools: [pool, pool] }, "pools: names must be unique"],
    ["a bad fleet name", { fleet: "a b", pools: [pool] }, "fleet: must be 1-64 letters"],
  ])("refuses %s, naming the field", (_, value, message) => {
    expect(refusal(value)).toContain(message);
  });

  it("refuses a bare list with a bad pool, naming the pool's field", () => {
    expect(refusal([{ ...pool, priority: -1 }])).toContain("pools.0.priority: Too small");
    expect(refusal([])).toBe("pools: must list at least one backend");
    expect(refusal("pools")).toContain(": Invalid input: expected object");
  });
});

describe("the registry's policies", () => {
  it("retries only 429 and 5xx", () => {
    expect(retryPolicySchema.safeParse({ on_status_codes: [404] }).success).toBe(false);
    expect(retryPolicySchema.safeParse({ on_status_codes: [429, 503] }).success).toBe(true);
  });

  it("refuses a nonsensical breaker", () => {
    expect(breakerPolicySchema.safeParse({ failure_threshold: 0 }).success).toBe(false);
    expect(breakerPolicySchema.safeParse({ error_rate: 1.5 }).success).toBe(false);
    expect(breakerPolicySchema.safeParse({ cooldown: 5 }).success).toBe(false);
  });
});

describe("the registry document", () => {
  it("is the settings plus the pools, each setting optional", () => {
    expect(registrySettingsSchema.safeParse({}).success).toBe(true);
    expect(registryDocumentSchema.safeParse({}).success).toBe(false);
    expect(registryDocumentSchema.safeParse({ pools: [pool] }).success).toBe(true);
    expect(registrySettingsSchema.safeParse({ pools: [pool] }).success).toBe(false);
  });
});
