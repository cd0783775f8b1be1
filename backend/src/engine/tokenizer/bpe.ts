/**
 * Byte-pair merging as in openai's `simple_tokenizer.bpe`: repeatedly merge the adjacent pair with the
 * lowest merge rank, every occurrence left to right, until no ranked pair is left.
 */

/** The key of a merge pair in a rank table: the two symbols with one space between (as merges.txt). */
export function pairKey(left: string, right: string): string {
  return `${left} ${right}`;
}

/** Merge `symbols` (a word's byte characters, the last carrying `</w>`) by the ranks given. */
export function applyMerges(symbols: readonly string[], ranks: ReadonlyMap<string, number>): string[] {
  let word = [...symbols];
  while (word.length > 1) {
    let bestRank = Number.POSITIVE_INFINITY;
    let bestLeft = "";
    let bestRight = "";
    for (let i = 0; i < word.length - 1; i++) {
      const rank = ranks.get(pairKey(word[i] as string, word[i + 1] as string));
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        bestLeft = word[i] as string;
        bestRight = word[i + 1] as string;
      }
    }
    if (bestRank === Number.POSITIVE_INFINITY) break;
    const merged: string[] = [];
    for (let i = 0; i < word.length; i++) {
      if (i < word.length - 1 && word[i] === bestLeft && word[i + 1] === bestRight) {
        merged.push(bestLeft + bestRight);
        i++;
      } else {
        merged.push(word[i] as string);
      }
    }
    word = merged;
  }
  return word;
}

/** Parse merges.txt: an optional `#version` header, then one `a b` pair per line in rank order. */
export function parseMerges(mergesTxt: string): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const line of mergesTxt.split("\n")) {
    const trimmed = line.replace(/\r$/, "");
    if (trimmed === "" || trimmed.startsWith("#version")) continue;
    const parts = trimmed.split(" ");
    if (parts.length !== 2)
      throw new Error(`merges.txt: expected "a b" on each line, got ${JSON.stringify(trimmed)}`);
    const key = pairKey(parts[0] as string, parts[1] as string);
    if (!ranks.has(key)) ranks.set(key, ranks.size);
  }
  return ranks;
}
