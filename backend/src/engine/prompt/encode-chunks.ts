import { ModelLoadError } from "../errors.ts";
import type { EncodeOptions, PromptEncoder, TextEncoding } from "../models/text-encoder.ts";
import { applyEmphasis } from "./apply-emphasis.ts";
import type { PromptChunk } from "./chunk-tokens.ts";

/**
 * One prompt's chunks through every text encoder, as A1111's `TextConditionalModel.forward`
 * (modules/sd_hijack_clip.py) does it: each chunk encoded on its own and weighted by its multipliers
 * (`process_tokens`), the chunks joined along the token axis (`torch.hstack(zs)`), the pooled output
 * taken from the first chunk (`zs[0].pooled`). With two encoders (SDXL) each weights its own states,
 * which are then joined on the feature axis per token, as sgm's `GeneralConditioner` concatenates them.
 *
 * @param chunksPerEncoder One list of chunks per encoder, all of the same length.
 * @example
 * const encoding = await encodeChunks([encoder], [chunkPrompt(parsePromptAttention("a (fox)"), tokenizer)]);
 */
export async function encodeChunks(
  encoders: readonly PromptEncoder[],
  chunksPerEncoder: readonly (readonly PromptChunk[])[],
  options: EncodeOptions = {},
): Promise<TextEncoding> {
  const count = chunksPerEncoder[0]?.length ?? 0;
  if (count === 0 || chunksPerEncoder.some((chunks) => chunks.length !== count)) {
    throw new RangeError(
      `every encoder needs the same, non-zero number of chunks; got ${chunksPerEncoder.map((c) => c.length)}`,
    );
  }
  const perChunk: TextEncoding[] = [];
  for (let c = 0; c < count; c++) {
    const encodings: TextEncoding[] = [];
    for (const [i, encoder] of encoders.entries()) {
      const chunk = chunksPerEncoder[i]?.[c] as PromptChunk;
      const encoding = await encoder.encode(chunk.ids, options);
      const hidden = applyEmphasis(encoding.hidden, encoding.dims[2], chunk.multipliers);
      encodings.push(hidden === encoding.hidden ? encoding : { ...encoding, hidden });
    }
    perChunk.push(joinFeatures(encodings));
  }
  return joinTokens(perChunk);
}

/** SDXL's states of one chunk: per token, the first encoder's features, then the second's. */
function joinFeatures(encodings: readonly TextEncoding[]): TextEncoding {
  const first = encodings[0];
  if (first === undefined) throw new Error("a text stack needs at least one encoder");
  if (encodings.length === 1) return first;
  const tokens = first.dims[1];
  for (const [i, encoding] of encodings.entries()) {
    if (encoding.dims[1] !== tokens) {
      throw new ModelLoadError(
        `text_encoder${i === 0 ? "" : `_${i + 1}`}/model.onnx`,
        `gives ${encoding.dims[1]} tokens, the first encoder ${tokens}`,
      );
    }
  }
  const widths = encodings.map((encoding) => encoding.dims[2]);
  const total = widths.reduce((a, b) => a + b, 0);
  const hidden = new Float32Array(tokens * total);
  for (let t = 0; t < tokens; t++) {
    let offset = t * total;
    for (const [i, encoding] of encodings.entries()) {
      const w = widths[i] as number;
      hidden.set(encoding.hidden.subarray(t * w, (t + 1) * w), offset);
      offset += w;
    }
  }
  const joined: TextEncoding = { hidden, dims: [1, tokens, total] };
  const pooled = encodings.at(-1)?.pooled;
  if (pooled !== undefined) joined.pooled = pooled;
  return joined;
}

/** Chunks one after another on the token axis; the pooled output is the first chunk's. */
function joinTokens(chunks: readonly TextEncoding[]): TextEncoding {
  const first = chunks[0] as TextEncoding;
  if (chunks.length === 1) return first;
  const width = first.dims[2];
  const tokens = chunks.reduce((sum, chunk) => sum + chunk.dims[1], 0);
  const hidden = new Float32Array(tokens * width);
  let offset = 0;
  for (const chunk of chunks) {
    hidden.set(chunk.hidden, offset);
    offset += chunk.hidden.length;
  }
  const joined: TextEncoding = { hidden, dims: [1, tokens, width] };
  if (first.pooled !== undefined) joined.pooled = first.pooled;
  return joined;
}
