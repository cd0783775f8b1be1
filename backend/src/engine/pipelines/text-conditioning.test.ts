import { sizeConditioningTimeIds } from "@sdgate/shared";
import { describe, expect, it, vi } from "vitest";
import { InvalidArgumentError } from "../errors.ts";
import type { PromptEncoder, TextEncoding } from "../models/text-encoder.ts";
import { guidanceScaleEmbedding } from "./guidance-embedding.ts";
import {
  type ConditioningRequest,
  encodeConditioning,
  MAX_PROMPT_CHUNKS,
  type TextStack,
  tokenizePrompts,
} from "./text-conditioning.ts";

const TOKENS = 3;
/**
 * A tokenizer with a context of 3 (chunks of one token: BOS, token, EOS) that gives each run of text
 * its length as its one id, so encodings tell prompts apart.
 */
const tokenizer = {
  bosId: 1,
  eosId: 2,
  padId: 2,
  maxLength: TOKENS,
  tokenize: (text: string) => (text === "" ? [] : [text.length]),
};
/** An encoder whose states are `base + id` per token and feature, with a pooled output of `width` values. */
function fakeEncoder(width: number, base: number, pooled = false): PromptEncoder {
  return {
    async encode(ids): Promise<TextEncoding> {
      const hidden = new Float32Array(TOKENS * width).map(
        (_, i) => base + (ids[Math.floor(i / width)] as number),
      );
      const encoding: TextEncoding = { hidden, dims: [1, TOKENS, width] };
      if (pooled) encoding.pooled = new Float32Array(width).fill(base + (ids[1] as number));
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
    expect([...c.context]).toEqual([101, 101, 102, 102, 102, 102, 101, 101, 105, 105, 102, 102]);
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
    expect([...c.context.subarray(TOKENS * 5 + 5, TOKENS * 5 + 10)]).toEqual([105, 105, 205, 205, 205]);
    expect([...(c.textEmbeds ?? [])]).toEqual([0, 0, 0, 205, 205, 205]);
    expect([...(c.timeIds ?? [])]).toEqual([48, 64, 0, 0, 48, 64, 48, 64, 0, 0, 48, 64]);
  });

  it("SDXL refiner: the one encoder's states and pooled output; five time_ids ending with the aesthetic scores", async () => {
    const refiner: TextStack = {
      tokenizers: [tokenizer],
      encoders: [fakeEncoder(3, 200, true)],
      sdxl: true,
      aestheticScore: true,
      forceZerosForEmptyPrompt: false,
      timestepCondDim: undefined,
    };
    const c = await condition(refiner, {
      ...request,
      negativePrompt: "bad",
      sizeConditioning: {
        original_size: { width: 128, height: 96 },
        crops_coords_top_left: { top: 8, left: 16 },
      },
    });
    expect(c.contextDims).toEqual([2, TOKENS, 3]);
    expect([...(c.textEmbeds ?? [])]).toEqual([203, 203, 203, 205, 205, 205]);
    // [uncond, cond]: diffusers' defaults negative_aesthetic_score 2.5, aesthetic_score 6
    // original size (h, w) and crop (top, left) as the base's first four, whose negative defaults
    // are @sdgate/shared's; no target size
    const base = sizeConditioningTimeIds(
      { original_size: { width: 128, height: 96 }, crops_coords_top_left: { top: 8, left: 16 } },
      64,
      48,
    );
    expect([...(c.timeIds ?? [])]).toEqual([...base.negative.slice(0, 4), 2.5, 96, 128, 8, 16, 6]);
    const scored = await condition(refiner, { ...request, aestheticScores: { positive: 9, negative: 1 } });
    expect([...(scored.timeIds ?? [])]).toEqual([48, 64, 0, 0, 1, 48, 64, 0, 0, 9]);
  });

  it("SDXL: an empty negative prompt is zeros (force_zeros_for_empty_prompt); a given one is encoded", async () => {
    const empty = await condition(sdxl, request);
    expect(empty.context.subarray(0, TOKENS * 5).every((x) => x === 0)).toBe(true);
    expect(tokenizePrompts(sdxl, request).negative).toBeNull();
    const given = await condition(sdxl, { ...request, negativePrompt: "blurry" });
    expect([...given.context.subarray(5, 10)]).toEqual([106, 106, 206, 206, 206]);
    expect([...(given.textEmbeds ?? new Float32Array(0)).subarray(0, 3)]).toEqual([206, 206, 206]);
  });

  it("LCM: no unconditional batch; the guidance scale is embedded as timestep_cond (w = guidance − 1)", async () => {
    const lcm: TextStack = { ...sd, timestepCondDim: 8 };
    const c = await condition(lcm, { ...request, guided: false, guidanceScale: 8.5 });
    expect(c.batch).toBe(1);
    expect([...(c.timestepCond ?? [])]).toEqual([...guidanceScaleEmbedding(7.5, 8)]);
  });
});

describe("A1111 prompt syntax in the conditioning", () => {
  // With chunks of one token, every word run is its own chunk: "ab BREAK cde" is two chunks.
  it("joins chunks on the token axis: [batch, 3·k, width]", async () => {
    const c = await condition(sd, { ...request, prompt: "ab BREAK cde", negativePrompt: "x" });
    expect(c.contextDims).toEqual([2, 2 * TOKENS, 2]);
    const prompt = [...c.context.subarray(2 * TOKENS * 2)];
    expect(prompt).toEqual([101, 101, 102, 102, 102, 102, 101, 101, 103, 103, 102, 102]);
  });

  it("pads the shorter of prompt and negative prompt with the empty prompt's chunk (A1111's pad_cond)", async () => {
    const tokens = tokenizePrompts(sd, { ...request, prompt: "ab BREAK cde BREAK f", negativePrompt: "x" });
    expect(tokens.prompt[0]?.map((chunk) => chunk.ids)).toEqual([
      [1, 2, 2],
      [1, 3, 2],
      [1, 1, 2],
    ]);
    expect(tokens.negative?.[0]?.map((chunk) => chunk.ids)).toEqual([
      [1, 1, 2],
      [1, 2, 2],
      [1, 2, 2],
    ]);
    const longNegative = tokenizePrompts(sd, { ...request, prompt: "x", negativePrompt: "ab BREAK cd" });
    expect(longNegative.prompt[0]).toHaveLength(2);
  });

  it("weights a token's states and keeps the chunk's mean", async () => {
    const plain = await condition(sd, { ...request, guided: false, prompt: "abc" });
    const weighted = await condition(sd, { ...request, guided: false, prompt: "(abc:2)" });
    const mean = (v: Float32Array) => v.reduce((s, x) => s + x, 0) / v.length;
    expect(mean(weighted.context)).toBeCloseTo(mean(plain.context), 4);
    // Token 1 (the word) doubled relative to BOS and EOS before the rescale.
    const ratio = (v: Float32Array) => (v[2] as number) / (v[0] as number);
    expect(ratio(weighted.context)).toBeCloseTo((2 * 103) / 101, 5);
    expect(ratio(plain.context)).toBeCloseTo(103 / 101, 5);
  });

  it("SDXL: weights both encoders, pools from the first chunk, and zero-fills an empty negative to the prompt's length", async () => {
    const c = await condition(sdxl, { ...request, prompt: "ab BREAK cdef" });
    expect(c.contextDims).toEqual([2, 2 * TOKENS, 5]);
    expect(c.context.subarray(0, 2 * TOKENS * 5).every((x) => x === 0)).toBe(true);
    expect([...(c.textEmbeds ?? new Float32Array(0)).subarray(3)]).toEqual([202, 202, 202]);
  });

  it(`refuses more than ${MAX_PROMPT_CHUNKS} chunks, naming prompt or negativePrompt`, () => {
    const long = new Array(MAX_PROMPT_CHUNKS + 1).fill("a").join(" BREAK ");
    expect(() => tokenizePrompts(sd, { ...request, prompt: long })).toThrow(InvalidArgumentError);
    expect(() => tokenizePrompts(sd, { ...request, negativePrompt: long })).toThrow(
      /`negativePrompt` has to fit/,
    );
    const ok = new Array(MAX_PROMPT_CHUNKS).fill("a").join(" BREAK ");
    expect(tokenizePrompts(sd, { ...request, prompt: ok }).prompt[0]).toHaveLength(MAX_PROMPT_CHUNKS);
  });

  it("refuses a weight that is not a number, naming the field", () => {
    expect(() => tokenizePrompts(sd, { ...request, prompt: "(fox:1.2.3)" })).toThrow(
      /`prompt` needs numeric \(text:weight\) weights, but is "\(…:1.2.3\)"/,
    );
  });

  it("keeps the first chunk, with a warning, when the UNet fixes its context at one chunk", async () => {
    const warn = vi.fn();
    const fixed: TextStack = { ...sd, fixedContextTokens: TOKENS, logger: { info() {}, warn } };
    const c = await condition(fixed, { ...request, prompt: "ab BREAK cde", negativePrompt: "x" });
    expect(c.contextDims).toEqual([2, TOKENS, 2]);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/fixed number of text tokens/), {
      chunks: 2,
      chunksUsed: 1,
      contextTokens: TOKENS,
    });
    await condition(fixed, request);
    expect(warn).toHaveBeenCalledTimes(1);
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
