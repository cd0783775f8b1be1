import { Keyring, type ResolvedGenerationRequest, registrySchema } from "@sdgate/shared";
import { exampleResolvedRequest } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import type { AttemptOutcome } from "./client.ts";
import { generateWithFailover } from "./failover.ts";
import { HealthView } from "./health.ts";
import { type Held, heldOf } from "./held.ts";
import { LoadBook } from "./load.ts";
import { RetryBudget } from "./retry-policy.ts";

const registry = registrySchema.parse([
  { name: "ours", url: "http://127.0.0.1:9", provider: "a", region: "local", priority: 0 },
  { name: "spare", url: "http://127.0.0.1:10", provider: "b", region: "local", priority: 1 },
]);

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

const served: AttemptOutcome = {
  kind: "ok",
  response: {
    model: "tiny",
    output_format: "png",
    images: [{ seed: 1, width: 8, height: 8, b64: "" }],
    timings_ms: { text_encode: 1, denoise: 1, decode: 1, image_encode: 1, total: 4 },
  },
  load: null,
} as AttemptOutcome;

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

/** Failover of `request` over `ours` and `spare`, which hold `held`; the calls made, and the result. */
async function run(
  held: Record<string, Held>,
  answers: Record<string, AttemptOutcome>,
  request = withAdapters,
) {
  const calls: string[] = [];
  let refreshes = 0;
  const health = new HealthView(
    () => ({
      sync: async () => ({ states: {}, probes: {}, versions: held }),
      report: async () => {
        throw new Error("a backend without an adapter is not failing");
      },
      takeProbe: async () => true,
      refreshVersions: async () => {
        refreshes += 1;
        return held;
      },
    }),
    registry.breaker,
  );
  const result = await generateWithFailover(
    registry,
    { health, load: new LoadBook(), budget: new RetryBudget(registry.retry) },
    request,
    {
      keyring: new Keyring([{ id: "k1", secret: "s".repeat(40) }]),
      timeoutMs: 1_000,
      requestId: "req_test",
      location: {},
      waitUntil: () => {},
      random: () => 0,
      sleep: async () => {},
      call: async (backend) => {
        calls.push(backend.name);
        return answers[backend.name] ?? adapterMiss;
      },
    },
  );
  return { calls, refreshes, result };
}

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
