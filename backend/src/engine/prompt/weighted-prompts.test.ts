import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isInvalidArgumentError } from "../errors.ts";
import { loadTiny, maxAbsDiff } from "../test-models.ts";
import type { GenerationRequest, Pipeline } from "../types.ts";

const base: GenerationRequest = {
  prompt: "a red fox in a snowy forest",
  negativePrompt: "blurry",
  width: 64,
  height: 64,
  steps: 4,
  guidanceScale: 7.5,
  seed: 42,
};
/** 20 plain words, then 70 more: well past one 75-token chunk. */
const LONG = `${"a red fox in a snowy forest at dawn, ".repeat(10)}with mountains`;
let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await loadTiny();
});
afterAll(() => pipeline.release());

const rgb = async (request: GenerationRequest) =>
  (await pipeline.generate(request)).images[0]?.rgb as Uint8Array;
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe("A1111 prompt syntax through the tiny SD 1.5 pipeline", () => {
  it("changes the image with emphasis; a weight of 1 changes nothing", async () => {
    const plain = await rgb(base);
    expect(same(await rgb({ ...base, prompt: "a red (fox:1.0) in a snowy forest" }), plain)).toBe(true);
    expect(same(await rgb({ ...base, prompt: "a red ((fox)) in a [snowy] forest" }), plain)).toBe(false);
    expect(same(await rgb({ ...base, negativePrompt: "(blurry:1.4)" }), plain)).toBe(false);
  });

  it("encodes prompts longer than 75 tokens and BREAK as more chunks, instead of cutting them", async () => {
    const long = await rgb({ ...base, prompt: LONG });
    expect(long.length).toBe(64 * 64 * 3);
    // Cut at 77 tokens (as before), words added past token 75 would change nothing.
    expect(same(long, await rgb({ ...base, prompt: `${LONG} and a castle` }))).toBe(false);
    expect(same(await rgb({ ...base, prompt: "a red fox BREAK in a snowy forest" }), await rgb(base))).toBe(
      false,
    );
  });

  it("writes the prompt as written into A1111's parameters", async () => {
    const prompt = "a (red fox:1.3) BREAK [snowy] forest, \\(2024\\)";
    const { images } = await pipeline.generate({ ...base, prompt, negativePrompt: "(blurry)" });
    const metadata = images[0]?.metadata;
    expect(metadata?.parameters.startsWith(`${prompt}\nNegative prompt: (blurry)\n`)).toBe(true);
    expect(metadata?.recipe.prompt).toBe(prompt);
  });

  it("refuses a prompt of more than 8 chunks as an invalid `prompt`", async () => {
    const tooLong = new Array(9).fill("a fox").join(" BREAK ");
    await expect(pipeline.generate({ ...base, prompt: tooLong })).rejects.toMatchObject({
      name: "InvalidArgumentError",
      param: "prompt",
    });
  });

  it("batches requests of different prompt lengths, each image as it is alone; a refused one fails alone", async () => {
    const requests: GenerationRequest[] = [
      base,
      { ...base, prompt: LONG, seed: 7 },
      { ...base, prompt: new Array(9).fill("a").join(" BREAK ") },
      { ...base, prompt: "a (red:1.2) fox", seed: 9 },
    ];
    const outcomes = await pipeline.generateBatch(requests.map((request) => ({ request })));
    expect(outcomes[2]?.ok === false && isInvalidArgumentError(outcomes[2].error)).toBe(true);
    for (const i of [0, 1, 3]) {
      const outcome = outcomes[i];
      if (!outcome?.ok) throw new Error(`request ${i} failed: ${String(outcome?.error)}`);
      const alone = await rgb(requests[i] as GenerationRequest);
      const batched = outcome.result.images[0]?.rgb as Uint8Array;
      // Batched rows may differ from a lone run by float rounding only (see generate-batch.test.ts).
      expect(maxAbsDiff(batched, alone)).toBeLessThanOrEqual(1);
    }
  });
});
