import { CLIP_PRETOKENIZE_PATTERN } from "../tokenizer/clip-text.ts";
import { type ChunkOptions, type ChunkTokenizer, layTokens } from "./chunk-tokens.ts";
import { parseSourcedAttention, type SourcedText } from "./parse-attention.ts";

/** One chunk of a counted prompt: how many tokens it holds, and the prompt text `[start, end)` they come from. */
export interface CountedChunk {
  tokens: number;
  start: number;
  end: number;
}

/**
 * A prompt's chunks as the engine lays them out (`chunkPrompt`: emphasis parsed, each run tokenised,
 * 75 tokens a chunk, BREAK and the comma backtrack included), with the text each chunk holds. The
 * counts are exact; the text spans are to the word, since CLIP cleans the text it tokenises (HTML
 * references, whitespace, case) and so no token keeps a character offset.
 *
 * @example
 * countPromptTokens("a fox BREAK a hound", tokenizer);
 * // [{ tokens: 2, start: 0, end: 5 }, { tokens: 2, start: 12, end: 19 }]
 */
export function countPromptTokens(
  prompt: string,
  tokenizer: ChunkTokenizer,
  options: ChunkOptions = {},
): CountedChunk[] {
  const runs = parseSourcedAttention(prompt);
  const spans = runs.flatMap((run) => (isBreak(run) ? [] : tokenSpans(run, tokenizer)));
  const breaks = runs.filter(isBreak).map((run) => run.pieces[0]?.end ?? 0);
  let previousEnd = 0;
  return layTokens(runs, tokenizer, options).map((chunk) => {
    const first = spans[chunk.positions[0] ?? -1];
    const last = spans[chunk.positions.at(-1) ?? -1];
    if (first === undefined || last === undefined) {
      // an empty chunk stands after the BREAK that made it, or at the start
      const at = breaks.find((end) => end >= previousEnd) ?? previousEnd;
      previousEnd = at;
      return { tokens: 0, start: at, end: at };
    }
    previousEnd = last.end;
    return { tokens: chunk.tokens.length, start: first.start, end: last.end };
  });
}

function isBreak(run: SourcedText): boolean {
  return run.text === "BREAK" && run.weight === -1;
}

/**
 * The prompt text of each token of a run. The run's words (CLIP's pre-tokenisation pattern on the
 * text as written) are tokenised one by one; when their tokens add up to the run's, each token gets
 * its word's place, and otherwise (a character reference such as `&amp;` read as one character) the
 * whole run's.
 */
function tokenSpans(run: SourcedText, tokenizer: ChunkTokenizer): { start: number; end: number }[] {
  const count = tokenizer.tokenize(run.text).length;
  const words = [...run.text.matchAll(CLIP_PRETOKENIZE_PATTERN)];
  const perWord = words.map((word) => ({
    tokens: tokenizer.tokenize(word[0]).length,
    start: sourceOffset(run, word.index, false),
    end: sourceOffset(run, word.index + word[0].length, true),
  }));
  if (perWord.reduce((sum, word) => sum + word.tokens, 0) !== count) {
    const whole = { start: sourceOffset(run, 0, false), end: sourceOffset(run, run.text.length, true) };
    return new Array(count).fill(whole);
  }
  return perWord.flatMap((word) => new Array(word.tokens).fill({ start: word.start, end: word.end }));
}

/**
 * Where offset `at` of a run's text stands in the prompt: a start in the piece it falls in, an end in
 * the piece it closes; an escape's one character covers its two.
 */
function sourceOffset(run: SourcedText, at: number, isEnd: boolean): number {
  for (const [i, piece] of run.pieces.entries()) {
    const pieceEnd = run.pieces[i + 1]?.at ?? run.text.length;
    if (pieceEnd === piece.at) continue;
    if (isEnd ? at > piece.at && at <= pieceEnd : at >= piece.at && at < pieceEnd) {
      return at === pieceEnd ? piece.end : piece.start + (at - piece.at);
    }
  }
  return run.pieces[0]?.start ?? 0;
}
