import type { ResolvedGenerationRequest } from "@sdgate/shared";
import { exampleResolvedRequest } from "@sdgate/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeImage } from "../engine/index.ts";
import { testPattern, tinyModelDir } from "../engine/test-models.ts";
import { InProcessEngine } from "../generation/in-process-engine.ts";
import { decodeInputImages } from "../generation/input-image.ts";
import { loadModels } from "../generation/load-models.ts";
import { silentLogger } from "../logger.ts";
import { Job } from "./job.ts";

let engine: InProcessEngine;
let png: string;

beforeAll(async () => {
  // optimum's export: its text encoder gives the hidden states clip_skip needs
  const dir = await tinyModelDir({ exporter: "optimum" });
  engine = new InProcessEngine(await loadModels({ tiny: dir }, ["cpu"], silentLogger), 16, silentLogger);
  png = Buffer.from(await encodeImage(testPattern(64, 64), "png")).toString("base64");
});
afterAll(() => engine.close());

const base = exampleResolvedRequest({ prompt: "a lighthouse", steps: 3 });

/** One request per thing that might, or might not, keep two requests from sharing a UNet call. */
function table(): Record<string, ResolvedGenerationRequest> {
  return {
    plain: base,
    "another prompt, seed and n": { ...base, prompt: "a fox in the snow", seed: 9, n: 2 },
    "a weighted prompt": { ...base, prompt: "a (lighthouse:1.2) [at night]" },
    "another guidance, still guided": { ...base, guidance_scale: 4 },
    "clip skip 2": { ...base, clip_skip: 2 },
    "another width": { ...base, width: 96 },
    "another height": { ...base, height: 96 },
    "more steps": { ...base, steps: 4 },
    "another scheduler": { ...base, scheduler: "ddim" },
    "another rng": { ...base, rng: "philox" },
    unguided: { ...base, guidance_scale: 1 },
    hires: { ...base, hires: { scale: 1.5, strength: 0.5, steps: 2 } },
    "an edited prompt": { ...base, prompt: "a [lighthouse:castle:0.5]" },
    "an alternating negative prompt": { ...base, negative_prompt: "[blurry|grainy]" },
    "a composable prompt": { ...base, prompt: "a lighthouse AND a storm" },
    img2img: { ...base, image: png, strength: 0.7 },
    inpaint: { ...base, image: png, mask: png, strength: 1 },
  };
}

type Verdict = "together" | "apart" | "refused";

/** The key the serving queue groups a job by. */
const keyOf = (request: ResolvedGenerationRequest) =>
  new Job({ id: "k", tenant: "t", request, deadlineAtMs: 0, previewEverySteps: 0, inputs: {} }).batchKey;

/** What the serving queue does with two jobs: one batch when their keys agree, else one batch each. */
function queued(a: ResolvedGenerationRequest, b: ResolvedGenerationRequest): Verdict {
  const [first, second] = [keyOf(a), keyOf(b)];
  if (first !== null && first === second) return "together";
  // The engine runs a request alone whatever it is given with, so a batch holding one is no error.
  return first === null || second === null ? "apart" : "refused";
}

/** What the engine does with the two as one batch: shares UNet calls, runs them one after the other, or refuses. */
async function ran(a: ResolvedGenerationRequest, b: ResolvedGenerationRequest): Promise<Verdict | string> {
  const jobs = await Promise.all(
    [a, b].map(async (request, i) => ({
      id: `job-${i}`,
      request,
      previewEverySteps: 0,
      inputs: await decodeInputImages(request),
    })),
  );
  const order: string[] = [];
  const failures: string[] = [];
  try {
    await engine.run(jobs, {
      onProgress: (id) => order.push(id),
      onDone: (id, outcome) => {
        if (!outcome.ok) failures.push(`${id}: ${outcome.error.message}`);
      },
    });
  } catch {
    return "refused";
  }
  if (failures.length > 0) return failures.join("; ");
  // Images in one UNet call report each step together; runs one after the other report in two runs.
  const [from, to] = [(id: string) => order.indexOf(id), (id: string) => order.lastIndexOf(id)];
  if (from("job-0") < 0 || from("job-1") < 0) return "no progress reported";
  const interleaved = from("job-1") < to("job-0") && from("job-0") < to("job-1");
  return interleaved ? "together" : "apart";
}

describe("the serving queue's batches", () => {
  it("are exactly the requests the engine runs together: it runs alone those keyed alone, and refuses any other mix", async () => {
    const rows = Object.entries(table());
    const disagreements: string[] = [];
    for (const [i, [nameA, a]] of rows.entries()) {
      for (const [nameB, b] of rows.slice(i)) {
        const expected = queued(a, b);
        const actual = await ran(a, b);
        if (actual !== expected)
          disagreements.push(`${nameA} + ${nameB}: queue ${expected}, engine ${actual}`);
      }
    }
    expect(disagreements).toEqual([]);
  }, 600_000);

  // The engine is given one model's pipeline per batch (`InProcessEngine.run` takes the first job's).
  it("never mixes models", () => {
    expect(keyOf({ ...base, model: "tiny-b" })).not.toBe(keyOf(base));
  });
});
