import { createHash } from "node:crypto";
import type { BackendGenerateResponse, ResolvedGenerationRequest } from "@sdgate/shared";
import { exampleResolvedRequest } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import type { JobOutcome } from "./engine.ts";
import { FakeEngine } from "./fake-engine.ts";

async function respond(
  engine: FakeEngine,
  request: ResolvedGenerationRequest,
): Promise<BackendGenerateResponse> {
  let outcome: JobOutcome | undefined;
  await engine.run([{ id: "job", request, previewEverySteps: 0, inputs: {} }], {
    onProgress() {},
    onDone: (_id, done) => {
      outcome = done;
    },
  });
  if (!outcome?.ok) throw new Error(`expected images, got ${JSON.stringify(outcome)}`);
  return outcome.response;
}

describe("the fake engine's safety check", () => {
  const request = exampleResolvedRequest({ prompt: "a cat", n: 2, steps: 1 });

  it("reports nothing about safety when the request does not ask for the check", async () => {
    const response = await respond(new FakeEngine(1), request);
    expect(response.images.map((image) => image.safety)).toEqual([undefined, undefined]);
    expect(response.timings_ms.safety_check).toBeUndefined();
  });

  it("passes images, and applies the action to those of the unsafe prompt, hashing the bytes it sends", async () => {
    const engine = new FakeEngine(1);
    engine.unsafePrompt = "a cat";
    const flagged = await respond(engine, { ...request, safety_check: "blur" });
    const passed = await respond(engine, { ...request, prompt: "a dog", safety_check: "blur" });
    expect(flagged.images.map((image) => image.safety?.outcome)).toEqual(["blurred", "blurred"]);
    expect(passed.images.map((image) => image.safety?.outcome)).toEqual(["passed", "passed"]);
    const image = passed.images[0];
    expect(image?.safety?.image_sha256).toBe(
      createHash("sha256")
        .update(Buffer.from(image?.b64 ?? "", "base64"))
        .digest("hex"),
    );
    expect(passed.timings_ms.safety_check).toBeGreaterThan(0);
  });
});
