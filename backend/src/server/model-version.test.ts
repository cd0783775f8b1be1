import { BACKEND_STATUS_PATH, backendStatusSchema, errorEnvelopeSchema } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { GENERATE, generateInit, setupApp, signed } from "./test-app.ts";

const HELD = "a".repeat(64);
const OTHER = "b".repeat(64);

describe("a backend and the registry's model versions", () => {
  it("reports the digest of each model's files in its signed status", async () => {
    const { app } = setupApp({ versions: { tiny: HELD } });
    const status = await app.request(BACKEND_STATUS_PATH, await signed(BACKEND_STATUS_PATH, null));
    expect(backendStatusSchema.parse(await status.json()).versions).toEqual({ tiny: HELD });
  });

  it("runs a request for the version it holds", async () => {
    const { app } = setupApp({ versions: { tiny: HELD } });
    const response = await app.request(
      GENERATE,
      await generateInit({ model_version: { version: "v2", digest: HELD } }),
    );
    expect(response.status).toBe(200);
  });

  it("counts each generation and its time by model and version, for a canary's numbers beside the stable one's", async () => {
    const { app } = setupApp({ versions: { tiny: HELD } });
    const ok = await app.request(
      GENERATE,
      await generateInit({ model_version: { version: "v2", digest: HELD } }),
    );
    expect(ok.status).toBe(200);
    const text = await (await app.request("/metrics")).text();
    const labels = `model="tiny",version="${HELD.slice(0, 12)}"`;
    expect(text).toContain(`sdgate_generations_total{${labels},outcome="ok"} 1`);
    expect(text).toContain(`sdgate_generation_duration_seconds_count{${labels}} 1`);
  });

  it("refuses a version it does not hold with a 503 naming it, and runs nothing", async () => {
    const { app, engine } = setupApp({ versions: { tiny: HELD } });
    const response = await app.request(
      GENERATE,
      await generateInit({ model_version: { version: "v3", digest: OTHER } }),
    );
    expect(response.status).toBe(503);
    const { error } = errorEnvelopeSchema.parse(await response.json());
    expect(error.code).toBe("model_version_unavailable");
    expect(error.message).toContain(`tiny@v3 (sha256 ${OTHER.slice(0, 12)}…)`);
    expect(error.message).toContain(`sha256 ${HELD.slice(0, 12)}…`);
    expect(engine.batches).toEqual([]);
  });

  it("refuses a version when it knows no digest for the model at all", async () => {
    const { app } = setupApp();
    const response = await app.request(
      GENERATE,
      await generateInit({ model_version: { version: "v1", digest: HELD } }),
    );
    expect(response.status).toBe(503);
    expect(errorEnvelopeSchema.parse(await response.json()).error.message).toContain("no digest");
  });
});

describe("a backend and a request's refiner", () => {
  const refiner = { model: "tiny-refiner", switch_at: 0.8, switch_by: "timestep" } as const;

  it("refuses a refiner model it does not serve as it refuses an unknown model, naming refiner.model", async () => {
    const { app, engine } = setupApp();
    const response = await app.request(GENERATE, await generateInit({ refiner }));
    expect(response.status).toBe(404);
    const { error } = errorEnvelopeSchema.parse(await response.json());
    expect(error).toMatchObject({ code: "model_not_found", param: "refiner.model" });
    expect(engine.batches).toEqual([]);
  });
});
