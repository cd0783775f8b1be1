import { BACKEND_STATUS_PATH, backendStatusSchema, errorEnvelopeSchema } from "@sdgate/shared";
import { exampleControlNetUnit } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import type { ControlCatalog } from "../generation/controlnet-catalog.ts";
import { GENERATE, generateInit, setupApp, signed } from "./test-app.ts";

const HELD = "c".repeat(64);
const catalog: ControlCatalog = {
  controlNets: new Map([["canny", { dir: "/models/controlnet/canny", digest: HELD }]]),
  annotatorDir: "/models/annotators",
  annotators: new Set(),
};
const unit = exampleControlNetUnit({ digest: HELD });

describe("a backend and ControlNet models", () => {
  it("lists the ControlNets it holds, with their digests, in its signed status", async () => {
    const { app } = setupApp({ controls: catalog });
    const status = await app.request(BACKEND_STATUS_PATH, await signed(BACKEND_STATUS_PATH, null));
    expect(backendStatusSchema.parse(await status.json()).adapters).toEqual([
      { kind: "controlnet", name: "canny", digest: HELD },
    ]);
  });

  it("refuses a ControlNet it does not hold, or an annotator it lacks, with a 503 before queueing", async () => {
    const { app, engine } = setupApp({ controls: catalog });
    const other = await app.request(
      GENERATE,
      await generateInit({ controlnet: [{ ...unit, digest: "d".repeat(64) }] }),
    );
    expect(other.status).toBe(503);
    const { error } = errorEnvelopeSchema.parse(await other.json());
    expect([error.code, error.param]).toEqual(["adapter_unavailable", "controlnet.0.model"]);
    const depth = await app.request(
      GENERATE,
      await generateInit({ controlnet: [{ ...unit, preprocessor: "depth" }] }),
    );
    expect(depth.status).toBe(503);
    expect(errorEnvelopeSchema.parse(await depth.json()).error.message).toContain(
      "/models/annotators/depth/model.onnx",
    );
    expect(engine.batches).toEqual([]);
  });

  it("refuses ControlNet requests on a backend that lists none", async () => {
    const { app } = setupApp();
    const response = await app.request(GENERATE, await generateInit({ controlnet: [unit] }));
    expect(response.status).toBe(503);
    expect(errorEnvelopeSchema.parse(await response.json()).error.code).toBe("adapter_unavailable");
  });
});
