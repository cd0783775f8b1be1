import { exampleControlNetUnit, exampleResolvedRequest } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import { batchKey } from "./batch-key.ts";

describe("batch keys", () => {
  it("lets plain text-to-image requests of one shape share UNet calls", () => {
    const a = exampleResolvedRequest({ prompt: "a fox", seed: 1 });
    const b = exampleResolvedRequest({ prompt: "a cat", seed: 2 });
    expect(batchKey(a)).not.toBeNull();
    expect(batchKey(a)).toBe(batchKey(b));
    expect(batchKey({ ...b, steps: b.steps + 1 })).not.toBe(batchKey(a));
    expect(batchKey({ ...b, model: "other" })).not.toBe(batchKey(a));
  });

  it("runs hires and image requests alone", () => {
    const request = exampleResolvedRequest({});
    expect(batchKey({ ...request, hires: { scale: 2, strength: 0.7, steps: 20 } })).toBeNull();
    expect(batchKey({ ...request, image: "iVBORw0KGgo=", strength: 0.5 })).toBeNull();
  });

  it("runs ControlNet requests alone: each has its own maps and a ControlNet call per unit and step", () => {
    expect(batchKey(exampleResolvedRequest({ controlnet: [exampleControlNetUnit()] }))).toBeNull();
  });

  it("runs edited, alternating and composable prompts alone, as the engine does", () => {
    const request = exampleResolvedRequest({});
    expect(batchKey({ ...request, prompt: "a [cat:dog:0.5]" })).toBeNull();
    expect(batchKey({ ...request, negative_prompt: "[blurry|grainy]" })).toBeNull();
    expect(batchKey({ ...request, prompt: "a cat AND a dog" })).toBeNull();
    expect(batchKey({ ...request, prompt: "a (cat:1.2) [dog]" })).not.toBeNull();
  });

  it("batches requests with the same LoRA set (in any order) together, and never two sets", () => {
    const ink = { name: "ink", digest: "a".repeat(64), weight: 0.7 };
    const fur = { name: "fur", digest: "b".repeat(64), weight: 1 };
    const plain = exampleResolvedRequest({ prompt: "a fox", seed: 1 });
    const withSet = { ...plain, lora: [ink, fur] };
    expect(batchKey({ ...withSet, prompt: "a cat <lora:fur:1>", lora: [fur, ink] })).toBe(batchKey(withSet));
    expect(batchKey(withSet)).not.toBe(batchKey(plain));
    expect(batchKey({ ...withSet, lora: [ink] })).not.toBe(batchKey(withSet));
    expect(batchKey({ ...withSet, lora: [ink, { ...fur, weight: 0.5 }] })).not.toBe(batchKey(withSet));
  });
});
