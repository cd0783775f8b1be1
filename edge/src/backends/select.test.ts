import { describe, expect, it } from "vitest";
import type { Admission } from "./breaker.ts";
import type { Backend } from "./registry.ts";
import { nearness, selectBackends } from "./select.ts";

function pool(name: string, fields: Partial<Backend> = {}): Backend {
  return { name, url: `http://127.0.0.1/${name}`, provider: name, region: "us-east", priority: 0, ...fields };
}

const yes: Admission = { kind: "yes" };

function order(pools: Backend[], options: Partial<Parameters<typeof selectBackends>[1]> = {}): string[] {
  return selectBackends(pools, {
    admissionOf: () => yes,
    expectedWaitMs: () => 0,
    location: {},
    random: () => 0.5,
    ...options,
  }).candidates.map((c) => c.backend.name);
}

describe("choosing a backend", () => {
  it("puts priority first, whatever the region or load", () => {
    const pools = [pool("far", { priority: 0, region: "eu" }), pool("near", { priority: 1, region: "FRA" })];
    expect(order(pools, { location: { colo: "FRA" } })).toEqual(["far", "near"]);
  });

  it("then prefers the caller's colo, then country, then continent", () => {
    const pools = [
      pool("elsewhere", { region: "ap-south" }),
      pool("continent", { region: "eu-west", near: ["EU"] }),
      pool("country", { region: "de", near: ["DE"] }),
      pool("colo", { region: "fra-1", near: ["FRA"] }),
    ];
    expect(order(pools, { location: { colo: "FRA", country: "DE", continent: "EU" } })).toEqual([
      "colo",
      "country",
      "continent",
      "elsewhere",
    ]);
    expect(nearness(pool("x", { region: "eu" }), { continent: "EU" })).toBe(1);
  });

  it("then the least expected wait the backends reported", () => {
    const waits: Record<string, number> = { a: 4_000, b: 20, c: 900 };
    expect(order([pool("a"), pool("b"), pool("c")], { expectedWaitMs: (name) => waits[name] ?? 0 })).toEqual([
      "b",
      "c",
      "a",
    ]);
  });

  it("splits ties by weight, in proportion", () => {
    const pools = [pool("light", { weight: 1 }), pool("heavy", { weight: 3 })];
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let heavyFirst = 0;
    for (let i = 0; i < 4_000; i++) if (order(pools, { random })[0] === "heavy") heavyFirst++;
    expect(heavyFirst / 4_000).toBeGreaterThan(0.7);
    expect(heavyFirst / 4_000).toBeLessThan(0.8);
  });

  it("keeps a zero-weight backend as the last resort", () => {
    expect(order([pool("standby", { weight: 0 }), pool("main")])).toEqual(["main", "standby"]);
  });

  it("leaves out open breakers and says when the first comes back", () => {
    const admissions: Record<string, Admission> = {
      a: { kind: "no", untilMs: 5_000 },
      b: { kind: "probe" },
      c: { kind: "no", untilMs: 3_000 },
    };
    const selection = selectBackends([pool("a"), pool("b"), pool("c")], {
      admissionOf: (name) => admissions[name] ?? yes,
      expectedWaitMs: () => 0,
      location: {},
      random: Math.random,
    });
    expect(selection.candidates).toEqual([{ backend: pool("b"), probe: true }]);
    expect(selection.soonestMs).toBe(3_000);
  });
});
