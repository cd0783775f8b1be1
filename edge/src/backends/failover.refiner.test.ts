import { exampleResolvedRequest } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import type { AttemptOutcome } from "./client.ts";
import { failoverOver, SERVED } from "./failover-testing.ts";

const BASE_DIGEST = "a".repeat(64);
const REFINER_DIGEST = "b".repeat(64);
const REFINER = { model: "sdxl-refiner", switch_at: 0.8, switch_by: "timestep" } as const;
const refined = exampleResolvedRequest({
  model: "sdxl",
  refiner: REFINER,
  aesthetic_score: 6,
  negative_aesthetic_score: 2.5,
});
const unexpected: AttemptOutcome = { kind: "failed", reason: "connect" } as AttemptOutcome;

describe("a request with a refiner", () => {
  it("goes only to a backend that serves both models", async () => {
    const { calls, result } = await failoverOver(
      { ours: { sdxl: BASE_DIGEST }, spare: { sdxl: BASE_DIGEST, "sdxl-refiner": REFINER_DIGEST } },
      { spare: SERVED },
      refined,
      unexpected,
    );
    expect(result.ok).toBe(true);
    expect(calls).toEqual(["spare"]);
  });

  it("goes only to a backend that holds the refiner's registry version", async () => {
    const request = {
      ...refined,
      refiner: { ...REFINER, model_version: { version: "v2", digest: REFINER_DIGEST } },
    };
    const { calls, result } = await failoverOver(
      {
        ours: { sdxl: BASE_DIGEST, "sdxl-refiner": "c".repeat(64) },
        spare: { sdxl: BASE_DIGEST, "sdxl-refiner": REFINER_DIGEST },
      },
      { spare: SERVED },
      request,
      unexpected,
    );
    expect(result.ok).toBe(true);
    expect(calls).toEqual(["spare"]);
  });

  it("answers 503 naming refiner.model when no one backend serves the two together", async () => {
    const { calls, result } = await failoverOver(
      { ours: { sdxl: BASE_DIGEST }, spare: { "sdxl-refiner": REFINER_DIGEST } },
      {},
      refined,
      unexpected,
    );
    expect(calls).toEqual([]);
    if (result.ok) throw new Error("served a refiner nobody serves with its base");
    expect(result.error).toMatchObject({ code: "model_version_unavailable", param: "refiner.model" });
    expect(result.error.message).toContain("'sdxl' together with the refiner 'sdxl-refiner'");
  });
});
