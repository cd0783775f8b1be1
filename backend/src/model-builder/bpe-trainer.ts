import { applyMerges, pairKey } from "../engine/tokenizer/bpe.ts";
import { BYTE_CHARS_IN_VOCAB_ORDER, toByteChars } from "../engine/tokenizer/bytes-to-unicode.ts";
import { cleanClipText, splitClipWords } from "../engine/tokenizer/clip-text.ts";
import { END_OF_TEXT, START_OF_TEXT } from "../engine/tokenizer/clip-tokenizer.ts";

const WORD_END = "</w>";

export interface TrainedBpe {
  /** token → id in CLIP's layout: bytes, bytes + `</w>`, merges, then the two special tokens. */
  vocab: Map<string, number>;
  /** Merge pairs in rank order. */
  merges: [string, string][];
}

/**
 * Learn CLIP-style byte-level BPE merges from `corpus` (Sennrich et al. 2016): words pre-tokenised and
 * cleaned as CLIP does, byte characters with `</w>` on the last, then repeatedly merge the most
 * frequent adjacent pair (ties to the smaller pair, so training is deterministic) until the vocabulary
 * has `vocabSize` entries or every word is one token.
 */
export function trainClipBpe(corpus: readonly string[], vocabSize: number): TrainedBpe {
  const wordCounts = new Map<string, number>();
  for (const line of corpus) {
    for (const word of splitClipWords(cleanClipText(line)))
      wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
  }
  const words = [...wordCounts.entries()].map(([word, count]) => {
    const symbols = toByteChars(word);
    symbols[symbols.length - 1] += WORD_END;
    return { symbols, count };
  });

  const vocab = new Map<string, number>();
  for (const c of BYTE_CHARS_IN_VOCAB_ORDER) vocab.set(c, vocab.size);
  for (const c of BYTE_CHARS_IN_VOCAB_ORDER) vocab.set(c + WORD_END, vocab.size);
  const merges: [string, string][] = [];
  const specialCount = 2;

  while (vocab.size + specialCount < vocabSize) {
    const pairCounts = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i < symbols.length - 1; i++) {
        const key = pairKey(symbols[i] as string, symbols[i + 1] as string);
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
      }
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const [key, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    if (best === undefined) break;
    const [left, right] = best.split(" ") as [string, string];
    merges.push([left, right]);
    if (!vocab.has(left + right)) vocab.set(left + right, vocab.size);
    const rank = new Map([[best, 0]]);
    for (const word of words) word.symbols = applyMerges(word.symbols, rank);
  }
  vocab.set(START_OF_TEXT, vocab.size);
  vocab.set(END_OF_TEXT, vocab.size);
  return { vocab, merges };
}

/** `vocab.json` as Hugging Face writes it: one object, ids ascending. */
export function vocabJson(vocab: ReadonlyMap<string, number>): string {
  return `${JSON.stringify(Object.fromEntries(vocab))}\n`;
}

/** `merges.txt` with the `#version: 0.2` header CLIP's files carry. */
export function mergesTxt(merges: readonly [string, string][]): string {
  return `#version: 0.2\n${merges.map(([a, b]) => `${a} ${b}\n`).join("")}`;
}
