import type { WeightedText } from "./parse-attention.ts";

/** What chunking needs of a tokenizer (`ClipTokenizer` has it). */
export interface ChunkTokenizer {
  /** Token ids of some text, without BOS/EOS or truncation. */
  tokenize(text: string): number[];
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  /** The text encoder's context, BOS and EOS included: 77 for every Stable Diffusion release. */
  readonly maxLength: number;
}

/** One text-encoder call: `maxLength` ids and one emphasis multiplier per id. */
export interface PromptChunk {
  ids: number[];
  multipliers: number[];
}

export interface ChunkOptions {
  /**
   * A1111's "prompt word wrap length limit" (`opts.comma_padding_backtrack`, default 20): when a
   * chunk fills up within this many tokens of a comma, the words after the comma move to the next
   * chunk. 0 turns it off.
   */
  commaBacktrack?: number;
}

/** A1111's default for `comma_padding_backtrack` (modules/shared_options.py). */
export const DEFAULT_COMMA_BACKTRACK = 20;

/**
 * A parsed prompt as text-encoder chunks, as A1111's `TextConditionalModel.tokenize_line`
 * (modules/sd_hijack_clip.py) makes them: each run of text tokenised on its own, tokens laid into
 * chunks of `maxLength - 2` (75) with their run's weight, a new chunk at each BREAK and when one is
 * full (moving the words after a nearby comma along), each chunk padded with EOS and wrapped in
 * BOS … EOS. At least one chunk, even for an empty prompt.
 *
 * @example
 * chunkPrompt(parsePromptAttention("a (fox:1.2)"), tokenizer); // [{ ids: [BOS, a, fox, EOS, …77], multipliers: [1, 1, 1.2, 1, …] }]
 */
export function chunkPrompt(
  parsed: readonly WeightedText[],
  tokenizer: ChunkTokenizer,
  options: ChunkOptions = {},
): PromptChunk[] {
  return layTokens(parsed, tokenizer, options).map((laid) =>
    finishChunk(laid.tokens, laid.multipliers, tokenizer),
  );
}

/**
 * A chunk's tokens before BOS, EOS and padding, each with its weight and its position in the
 * prompt's token sequence (every run's tokens in order, BREAKs not counted): what a token counter
 * needs to say which text each chunk holds.
 */
export interface LaidChunk {
  tokens: number[];
  multipliers: number[];
  positions: number[];
}

/** The chunks {@link chunkPrompt} makes, before it finishes them: its one place for the layout. */
export function layTokens(
  parsed: readonly WeightedText[],
  tokenizer: ChunkTokenizer,
  options: ChunkOptions = {},
): LaidChunk[] {
  const chunkLength = tokenizer.maxLength - 2;
  const backtrack = options.commaBacktrack ?? DEFAULT_COMMA_BACKTRACK;
  const commaId = commaTokenId(tokenizer);
  const chunks: LaidChunk[] = [];
  let current: LaidChunk = { tokens: [], multipliers: [], positions: [] };
  let lastComma = -1;
  let position = 0;

  const nextChunk = () => {
    chunks.push(current);
    current = { tokens: [], multipliers: [], positions: [] };
    lastComma = -1;
  };

  for (const { text, weight } of parsed) {
    if (text === "BREAK" && weight === -1) {
      nextChunk();
      continue;
    }
    for (const token of tokenizer.tokenize(text)) {
      const length = current.tokens.length;
      if (token === commaId) {
        lastComma = length;
      } else if (
        backtrack !== 0 &&
        length === chunkLength &&
        lastComma !== -1 &&
        length - lastComma <= backtrack
      ) {
        const breakAt = lastComma + 1;
        const moved: LaidChunk = {
          tokens: current.tokens.slice(breakAt),
          multipliers: current.multipliers.slice(breakAt),
          positions: current.positions.slice(breakAt),
        };
        current = {
          tokens: current.tokens.slice(0, breakAt),
          multipliers: current.multipliers.slice(0, breakAt),
          positions: current.positions.slice(0, breakAt),
        };
        nextChunk();
        current = moved;
      }
      if (current.tokens.length === chunkLength) nextChunk();
      current.tokens.push(token);
      current.multipliers.push(weight);
      current.positions.push(position++);
    }
  }
  if (current.tokens.length > 0 || chunks.length === 0) nextChunk();
  return chunks;
}

/** The chunk of an empty prompt, which A1111 pads the shorter of prompt and negative prompt with. */
export function emptyChunk(tokenizer: ChunkTokenizer): PromptChunk {
  return finishChunk([], [], tokenizer);
}

/** Append empty chunks up to `count` (A1111's `pad_cond`, modules/sd_samplers_cfg_denoiser.py). */
export function padChunks(
  chunks: readonly PromptChunk[],
  count: number,
  tokenizer: ChunkTokenizer,
): PromptChunk[] {
  const padded = [...chunks];
  while (padded.length < count) padded.push(emptyChunk(tokenizer));
  return padded;
}

/**
 * EOS-fill to the chunk length and wrap in BOS … EOS (`next_chunk`); then, for tokenizers whose pad
 * differs from EOS (SD 2.x, SDXL's second), everything after the first EOS becomes pad
 * (`process_tokens`). For a prompt of ≤ 75 tokens these are exactly the ids `ClipTokenizer.encode` gives.
 */
function finishChunk(tokens: number[], multipliers: number[], tokenizer: ChunkTokenizer): PromptChunk {
  const fill = tokenizer.maxLength - 2 - tokens.length;
  const ids = [tokenizer.bosId, ...tokens, ...new Array<number>(Math.max(0, fill)).fill(tokenizer.eosId)];
  ids.push(tokenizer.eosId);
  if (tokenizer.padId !== tokenizer.eosId) ids.fill(tokenizer.padId, ids.indexOf(tokenizer.eosId) + 1);
  return { ids, multipliers: [1, ...multipliers, ...new Array<number>(Math.max(0, fill)).fill(1), 1] };
}

/** `vocab.get(',</w>')`: a lone comma tokenises to that one token when the vocabulary has it. */
function commaTokenId(tokenizer: ChunkTokenizer): number | undefined {
  const ids = tokenizer.tokenize(",");
  return ids.length === 1 && ids[0] !== tokenizer.eosId ? ids[0] : undefined;
}
