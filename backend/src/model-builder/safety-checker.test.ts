import { InferenceSession, Tensor } from "onnxruntime-node";
import { afterEach, describe, expect, it } from "vitest";
import { gaussian } from "./ort-test-support.ts";
import {
  buildSafetyChecker,
  CONCEPT_COUNT,
  type SafetyCheckerShape,
  SPECIAL_CARE_COUNT,
  TINY_SAFETY_CHECKER,
} from "./safety-checker.ts";
import { referenceSafetyScores } from "./safety-checker-reference.ts";
import { type TensorRequest, WeightSource, type Weights } from "./weights.ts";

const S = TINY_SAFETY_CHECKER.imageSize;
const PIXELS = 3 * S * S;
const sessions: InferenceSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.release()));
});

async function open(model: Uint8Array): Promise<InferenceSession> {
  const session = await InferenceSession.create(model);
  sessions.push(session);
  return session;
}

/**
 * Two unlike CLIP inputs (normalised pixels): vertical stripes, and a dark field. A random tower maps
 * noise images to near-identical embeddings, as any two samples of the same noise look alike.
 */
const clipInputs = [
  Float32Array.from({ length: PIXELS }, (_, i) => (Math.floor((i % S) / 16) % 2 === 1 ? 1.5 : -1.5)),
  new Float32Array(PIXELS).fill(-1.5),
];

/** The checker's outputs by name; each one missing fails the test. */
async function run(session: InferenceSession, inputs: readonly Float32Array[], images: Float32Array) {
  const clip = new Float32Array(inputs.length * PIXELS);
  inputs.forEach((input, i) => {
    clip.set(input, i * PIXELS);
  });
  const results = await session.run({
    clip_input: new Tensor("float32", clip, [inputs.length, 3, S, S]),
    images: new Tensor("float32", images, [inputs.length, 2, 2, 3]),
  });
  const output = (name: string) => {
    const tensor = results[name];
    if (tensor === undefined) throw new Error(`no output ${name}`);
    return tensor;
  };
  return {
    outImages: output("out_images").data as Float32Array,
    flagged: output("has_nsfw_concepts"),
    concepts: output("concept_scores").data as Float32Array,
    special: output("special_scores").data as Float32Array,
  };
}

/** `base`'s weights, except `concept_embeds` row `row`, which is `embedding`. */
function withConcept(base: Weights, row: number, embedding: Float32Array): Weights {
  return {
    normal(name: string, count: number, std: number, tensor: TensorRequest): Float32Array {
      const values = base.normal(name, count, std, tensor);
      if (name === "concept_embeds") values.set(embedding, row * embedding.length);
      return values;
    },
  };
}

describe("the safety checker graph", () => {
  it("scores every concept as an independent reference computes diffusers' forward_onnx", async () => {
    // Low thresholds make some cosines pass, so the special-care adjustment is exercised.
    const shape: SafetyCheckerShape = { ...TINY_SAFETY_CHECKER, thresholdMean: 0.3 };
    const weights = new WeightSource(11);
    const session = await open(buildSafetyChecker(weights, shape));
    const inputs = [...clipInputs, gaussian(PIXELS, 3), new Float32Array(PIXELS).fill(0.5)];
    const out = await run(session, inputs, new Float32Array(inputs.length * 12).fill(0.5));
    const { concepts, special } = out;
    const flagged = out.flagged.data as Uint8Array;
    expect(out.flagged.type).toBe("bool");
    const references = inputs.map((input) => referenceSafetyScores(weights, shape, input));
    references.forEach((reference, i) => {
      const got = concepts.subarray(i * CONCEPT_COUNT, (i + 1) * CONCEPT_COUNT);
      for (let c = 0; c < CONCEPT_COUNT; c++)
        expect(got[c]).toBeCloseTo(reference.conceptScores[c] as number, 5);
      for (let c = 0; c < SPECIAL_CARE_COUNT; c++)
        expect(special[i * SPECIAL_CARE_COUNT + c]).toBeCloseTo(reference.specialScores[c] as number, 5);
      expect(flagged[i] === 1).toBe(reference.flagged);
    });
    // The inputs cover the adjustment's both sides: some image with a special-care hit, some without.
    expect(new Set(references.map((r) => r.specialCare))).toEqual(new Set([true, false]));
  });

  it("flags an image whose embedding is a concept, names that concept, and passes a different image", async () => {
    const base = new WeightSource(13);
    const target = referenceSafetyScores(base, TINY_SAFETY_CHECKER, clipInputs[0] as Float32Array);
    const weights = withConcept(base, 5, target.imageEmbeds);
    const session = await open(buildSafetyChecker(weights, TINY_SAFETY_CHECKER));
    // images[has_nsfw_concepts] = 0: the flagged image comes back black, the other as it went in.
    const images = Float32Array.from({ length: 24 }, (_, i) => 0.25 + i / 100);
    const out = await run(session, clipInputs, images);
    expect([...(out.flagged.data as Uint8Array)]).toEqual([1, 0]);
    const { concepts } = out;
    const fired = [...concepts.subarray(0, CONCEPT_COUNT)].flatMap((s, c) => (s > 0 ? [c] : []));
    expect(fired).toEqual([5]);
    expect([...concepts.subarray(CONCEPT_COUNT)].every((s) => s <= 0)).toBe(true);
    const { outImages } = out;
    expect([...outImages.subarray(0, 12)]).toEqual(new Array(12).fill(0));
    expect([...outImages.subarray(12)]).toEqual([...images.subarray(12)]);
  });

  it("exports only out_images and has_nsfw_concepts when built as diffusers' script exports it", async () => {
    const session = await open(
      buildSafetyChecker(new WeightSource(13), TINY_SAFETY_CHECKER, { standardOutputsOnly: true }),
    );
    expect(session.inputNames).toEqual(["clip_input", "images"]);
    expect(session.outputNames).toEqual(["out_images", "has_nsfw_concepts"]);
  });
});
