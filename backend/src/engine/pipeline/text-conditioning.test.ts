import { describe, expect, it } from "vitest";
import { guidanceScaleEmbedding } from "./guidance-embedding.ts";
import {
  type ConditioningRequest,
  encodeConditioning,
  type TextStack,
  tokenizePrompts,
} from "./text-conditioning.ts";
import type { PromptEncoder, TextEncoding } from "./text-encoder.ts";

const TOKENS = 3;
/** A tokenizer that gives each prompt its length as ids, so encodings tell prompts apart. */
const tokenizer = { encode: (text: string) => [text.length, 1, 2] };
/** An encoder whose states are `base + id` per token and feature, with a pooled output of `width` values. */
function fakeEncoder(width: number, base: number, pooled = false): PromptEncoder {
  return {
    async encode(ids): Promise<TextEncoding> {
      const hidden = new Float32Array(TOKENS * width).map(
        (_, i) => base + (ids[Math.floor(i / width)] as number),
      );
      const encoding: TextEncoding = { hidden, dims: [1, TOKENS, width] };
      if (pooled) encoding.pooled = new Float32Array(width).fill(base + (ids[0] as number));
      return encoding;
    },
  };
}
const sd: TextStack = {
  tokenizers: [tokenizer],
  encoders: [fakeEncoder(2, 100)],
  sdxl: false,
  forceZerosForEmptyPrompt: false,
  timestepCondDim: undefined,
};
const sdxl: TextStack = {
  tokenizers: [tokenizer, tokenizer],
  encoders: [fakeEncoder(2, 100), fakeEncoder(3, 200, true)],
  sdxl: true,
  forceZerosForEmptyPrompt: true,
  timestepCondDim: undefined,
};
const request: ConditioningRequest = {
  prompt: "a fox",
  negativePrompt: "",
  guided: true,
  guidanceScale: 7.5,
  width: 64,
  height: 48,
};
const condition = async (stack: TextStack, r: ConditioningRequest) =>
  encodeConditioning(stack, tokenizePrompts(stack, r), r);

describe("prompt conditioning", () => {
  it("SD: batches [negative, prompt] under guidance, encoding an empty negative prompt as text", async () => {
    const c = await condition(sd, request);
    expect(c.batch).toBe(2);
    expect(c.contextDims).toEqual([2, TOKENS, 2]);
    expect([...c.context]).toEqual([100, 100, 101, 101, 102, 102, 105, 105, 101, 101, 102, 102]);
    expect(c.textEmbeds).toBeUndefined();
  });

  it("SD: one batch item without guidance", async () => {
    const c = await condition(sd, { ...request, guided: false });
    expect([c.batch, c.context.length]).toEqual([1, TOKENS * 2]);
  });

  it("SDXL: joins both encoders' states per token, pools from the second, and sends time_ids [h, w, 0, 0, h, w]", async () => {
    const c = await condition(sdxl, request);
    expect(c.contextDims).toEqual([2, TOKENS, 5]);
    // The prompt half: per token, encoder 1's 2 features then encoder 2's 3.
    expect([...c.context.subarray(TOKENS * 5, TOKENS * 5 + 5)]).toEqual([105, 105, 205, 205, 205]);
    expect([...(c.textEmbeds ?? [])]).toEqual([0, 0, 0, 205, 205, 205]);
    expect([...(c.timeIds ?? [])]).toEqual([48, 64, 0, 0, 48, 64, 48, 64, 0, 0, 48, 64]);
  });

  it("SDXL: an empty negative prompt is zeros (force_zeros_for_empty_prompt); a given one is encoded", async () => {
    const empty = await condition(sdxl, request);
    expect(empty.context.subarray(0, TOKENS * 5).every((x) => x === 0)).toBe(true);
    expect(tokenizePrompts(sdxl, request).negative).toBeNull();
    const given = await condition(sdxl, { ...request, negativePrompt: "blurry" });
    expect([...given.context.subarray(0, 5)]).toEqual([106, 106, 206, 206, 206]);
    expect([...(given.textEmbeds ?? new Float32Array(0)).subarray(0, 3)]).toEqual([206, 206, 206]);
  });

  it("LCM: no unconditional batch; the guidance scale is embedded as timestep_cond (w = guidance − 1)", async () => {
    const lcm: TextStack = { ...sd, timestepCondDim: 8 };
    const c = await condition(lcm, { ...request, guided: false, guidanceScale: 8.5 });
    expect(c.batch).toBe(1);
    expect([...(c.timestepCond ?? [])]).toEqual([...guidanceScaleEmbedding(7.5, 8)]);
  });
});

describe("guidance-scale embedding", () => {
  it("is [sin(1000·w·f_i)…, cos(1000·w·f_i)…] with f_i = exp(−i·ln(10000)/(half − 1)), as diffusers'", () => {
    const embedding = guidanceScaleEmbedding(0.5, 8);
    expect(embedding).toHaveLength(8);
    for (let i = 0; i < 4; i++) {
      const angle = 500 * Math.exp((-i * Math.log(10000)) / 3);
      expect(embedding[i]).toBeCloseTo(Math.sin(angle), 3);
      expect(embedding[4 + i]).toBeCloseTo(Math.cos(angle), 3);
    }
    expect([...guidanceScaleEmbedding(0, 6)]).toEqual([0, 0, 0, 1, 1, 1]);
    expect(guidanceScaleEmbedding(1, 5)[4]).toBe(0);
  });
});
