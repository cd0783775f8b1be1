import { describe, expect, it } from "vitest";
import type { PromptEncoder, TextEncoding } from "../models/text-encoder.ts";
import type { PromptChunk } from "./chunk-tokens.ts";
import { encodeChunks } from "./encode-chunks.ts";

/** States `base + id` per token (width features each); pooled: `base + ids[1]`. */
function encoder(width: number, base: number, pooled = false): PromptEncoder {
  return {
    async encode(ids): Promise<TextEncoding> {
      const hidden = new Float32Array(ids.length * width).map(
        (_, i) => base + (ids[Math.floor(i / width)] as number),
      );
      const encoding: TextEncoding = { hidden, dims: [1, ids.length, width] };
      if (pooled) encoding.pooled = Float32Array.of(base + (ids[1] as number));
      return encoding;
    },
  };
}
const chunk = (ids: number[], multipliers = ids.map(() => 1)): PromptChunk => ({ ids, multipliers });

describe("encodeChunks (A1111's TextConditionalModel.forward)", () => {
  it("joins chunks along the token axis and pools from the first chunk", async () => {
    const out = await encodeChunks([encoder(1, 0, true)], [[chunk([1, 5, 2]), chunk([1, 7, 2])]]);
    expect(out.dims).toEqual([1, 6, 1]);
    expect([...out.hidden]).toEqual([1, 5, 2, 1, 7, 2]);
    expect([...(out.pooled ?? [])]).toEqual([5]);
  });

  it("weights each chunk on its own, keeping each chunk's mean", async () => {
    const out = await encodeChunks([encoder(1, 0)], [[chunk([1, 4, 1], [1, 2, 1]), chunk([1, 4, 1])]]);
    // Chunk 1: [1, 8, 1] rescaled by 2/(10/3) = 0.6; chunk 2 untouched.
    expect([...out.hidden].map((v) => Number(v.toFixed(5)))).toEqual([0.6, 4.8, 0.6, 1, 4, 1]);
  });

  it("SDXL: weights both encoders' states, then joins them per token", async () => {
    const chunks = [chunk([1, 4, 1], [1, 2, 1])];
    const out = await encodeChunks([encoder(1, 0), encoder(2, 10, true)], [chunks, chunks]);
    expect(out.dims).toEqual([1, 3, 3]);
    const row = (t: number) => [...out.hidden.subarray(t * 3, t * 3 + 3)].map((v) => Number(v.toFixed(4)));
    expect(row(0)).toEqual([0.6, 11 * (36 / 50), 11 * (36 / 50)].map((v) => Number(v.toFixed(4))));
    expect([...(out.pooled ?? [])]).toEqual([14]);
  });

  it("refuses encoders with different chunk counts", async () => {
    await expect(encodeChunks([encoder(1, 0), encoder(1, 0)], [[chunk([1])], []])).rejects.toThrow(
      /same, non-zero/,
    );
  });
});
