import type { ResolvedGenerationRequest } from "@sdgate/shared";
import { exampleResolvedRequest } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import type { AttemptOutcome } from "./client.ts";
import { failoverOver, SERVED } from "./failover-testing.ts";
import { type Held, heldOf } from "./held.ts";

const INK = "1".repeat(64);
const CANNY = "2".repeat(64);
const withAdapters: ResolvedGenerationRequest = {
  ...exampleResolvedRequest(),
  lora: [{ name: "ink", digest: INK, weight: 0.7 }],
  controlnet: [
    {
      model: "canny",
      digest: CANNY,
      image: "iVBORw0KGgo=",
      weight: 1,
      guidance_start: 0,
      guidance_end: 1,
      control_mode: "balanced",
      preprocessor: "none",
      resize_mode: "crop_and_resize",
    },
  ],
};

/** What a backend's status says when it holds these adapters. */
const holding = (...adapters: ["lora" | "controlnet", string, string][]): Held =>
  heldOf({ adapters: adapters.map(([kind, name, digest]) => ({ kind, name, digest })) });

const served = SERVED;

const adapterMiss: AttemptOutcome = {
  kind: "failed",
  reason: "status",
  status: 503,
  retryAfter: null,
  retryAfterMs: null,
  load: null,
  envelope: {
    error: { type: "api_error", code: "adapter_unavailable", message: "Not here.", param: "lora" },
    request_id: "req_backend",
  },
};

const run = (held: Record<string, Held>, answers: Record<string, AttemptOutcome>, request = withAdapters) =>
  failoverOver(held, answers, request, adapterMiss);

describe("a request naming LoRAs and ControlNet models", () => {
  it("goes only to backends whose status lists every digest it names", async () => {
    const { calls, result } = await run(
      {
        ours: holding(["lora", "ink", INK]),
        spare: holding(["lora", "ink", INK], ["controlnet", "canny", CANNY]),
      },
      { ours: served, spare: served },
    );
    expect(result.ok).toBe(true);
    expect(calls).toEqual(["spare"]);
  });

  it("takes a holder's refusal (the file was taken off it) as no failure, and tries the next holder", async () => {
    const both = holding(["lora", "ink", INK], ["controlnet", "canny", CANNY]);
    const { calls, result } = await run({ ours: both, spare: both }, { spare: served });
    expect(result.ok).toBe(true);
    expect(calls).toEqual(["ours", "spare"]);
  });

  it("answers adapter_unavailable naming what no backend holds, after asking them once", async () => {
    const { calls, refreshes, result } = await run({ ours: holding(["lora", "ink", INK]) }, {});
    expect(calls).toEqual([]);
    expect(refreshes).toBe(1);
    if (result.ok) throw new Error("served an adapter nobody holds");
    expect(result.error).toMatchObject({ code: "adapter_unavailable", param: "controlnet" });
    expect(result.error.message).toContain("ControlNet model 'canny' (sha256 222222222222…)");
    expect(result.error.message).not.toContain("'ink'");
  });

  it("says so when each is held somewhere but no one backend holds them all", async () => {
    const { result } = await run(
      { ours: holding(["lora", "ink", INK]), spare: holding(["controlnet", "canny", CANNY]) },
      {},
    );
    if (result.ok) throw new Error("served on a backend missing an adapter");
    expect(result.error).toMatchObject({ code: "adapter_unavailable" });
    expect(result.error.message).toMatch(/No one backend holds all of LoRA 'ink'/);
  });

  it("answers adapter_unavailable when every holder refuses", async () => {
    const both = holding(["lora", "ink", INK], ["controlnet", "canny", CANNY]);
    const { calls, result } = await run({ ours: both, spare: both }, {});
    expect(calls).toEqual(["ours", "spare"]);
    expect(result).toMatchObject({ ok: false, error: { code: "adapter_unavailable" } });
  });

  it("leaves a request without adapters routed to every backend", async () => {
    const { calls, result } = await run({}, { ours: served }, exampleResolvedRequest());
    expect(result.ok).toBe(true);
    expect(calls).toEqual(["ours"]);
  });
});
