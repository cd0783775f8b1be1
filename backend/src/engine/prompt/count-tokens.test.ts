import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { mergesTxt, trainClipBpe, vocabJson } from "../../model-builder/bpe-trainer.ts";
import { PROMPT_CORPUS } from "../../model-builder/corpus.ts";
import { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import { chunkPrompt } from "./chunk-tokens.ts";
import { countPromptTokens } from "./count-tokens.ts";
import { parsePromptAttention } from "./parse-attention.ts";

// The tiny model's kind of tokenizer: BPE learnt from the prompt corpus, so unknown words split up.
const { vocab, merges } = trainClipBpe(PROMPT_CORPUS, 600);
const tiny = ClipTokenizer.fromFiles(vocabJson(vocab), mergesTxt(merges));

/** Each chunk as `tokens: text`, the text being the part of the prompt its span covers. */
const described = (prompt: string, tokenizer = tiny) =>
  countPromptTokens(prompt, tokenizer).map((c) => `${c.tokens}: ${prompt.slice(c.start, c.end)}`);

/** The prompt's tokens per chunk as the engine encodes them: ids between BOS and the first EOS. */
const engineCounts = (prompt: string, tokenizer = tiny) =>
  chunkPrompt(parsePromptAttention(prompt), tokenizer).map((c) => c.ids.slice(1).indexOf(tokenizer.eosId));

describe("countPromptTokens", () => {
  it("counts what the engine encodes, chunk by chunk, for weights, BREAK, escapes and long prompts", () => {
    for (const prompt of [
      "a red fox",
      "masterpiece, (best quality:1.2), a red fox in [snow] BREAK golden hour, \\(film grain\\)",
      "((castle)) on a [[hill]] AND a dragon",
      "fox ".repeat(120),
      `${"horse, ".repeat(50)}BREAK${" sky".repeat(3)}`,
    ]) {
      expect(countPromptTokens(prompt, tiny).map((c) => c.tokens)).toEqual(engineCounts(prompt));
    }
  });

  it("says which text each chunk holds, BREAK and brackets left out", () => {
    expect(described("a light BREAK (the light:1.2)")).toEqual(["2: a light", "2: the light"]);
  });

  it("splits at 75 tokens, each chunk spanning its own words", () => {
    // "light" is one token of the tiny vocabulary
    const chunks = countPromptTokens("light ".repeat(80), tiny);
    expect(chunks.map((c) => c.tokens)).toEqual([75, 5]);
    expect(chunks[0]).toMatchObject({ start: 0, end: 75 * 6 - 1 });
    expect(chunks[1]).toMatchObject({ start: 75 * 6, end: 80 * 6 - 1 });
  });

  it("covers an escaped bracket's backslash, and gives an empty prompt one empty chunk", () => {
    expect(described("\\(fox\\)")).toEqual([`${engineCounts("\\(fox\\)")[0]}: \\(fox\\)`]);
    expect(countPromptTokens("", tiny)).toEqual([{ tokens: 0, start: 0, end: 0 }]);
  });

  it("places the empty chunk of BREAK BREAK after the first BREAK", () => {
    expect(countPromptTokens("the BREAK BREAK light", tiny)).toEqual([
      { tokens: 1, start: 0, end: 3 },
      { tokens: 0, start: 10, end: 10 },
      { tokens: 1, start: 16, end: 21 },
    ]);
  });

  it("gives a character reference's tokens the whole run, since CLIP reads it as one character", () => {
    expect(described("&amp; fox")).toEqual([`${engineCounts("&amp; fox")[0]}: &amp; fox`]);
  });
});

// The real SD 1.x vocabulary lives outside the repository (data only, never copied in).
const clipDir = fileURLToPath(new URL("../../../../../shared/data/clip/", import.meta.url));
const hasClipVocab = existsSync(`${clipDir}vocab.json`) && existsSync(`${clipDir}merges.txt`);

describe(`countPromptTokens with SD 1.x's vocabulary${hasClipVocab ? "" : " (skipped: vocabulary absent at ../shared/data/clip)"}`, () => {
  it.skipIf(!hasClipVocab)("counts as CLIP's own tokenizer does, the comma word wrap included", () => {
    const clip = ClipTokenizer.fromFiles(
      readFileSync(`${clipDir}vocab.json`, "utf8"),
      readFileSync(`${clipDir}merges.txt`, "utf8"),
    );
    expect(
      described(
        "masterpiece, (best quality:1.2), a red fox in [snow] BREAK golden hour, \\(film grain\\)",
        clip,
      ),
    ).toEqual([
      "10: masterpiece, (best quality:1.2), a red fox in [snow",
      "7: golden hour, \\(film grain\\)",
    ]);
    // 70 × "horse", a comma, 10 × "horse": A1111 moves the 4 words after the comma along with the rest
    const wrapped = countPromptTokens(`${"horse ".repeat(70)}, ${"horse ".repeat(10)}`, clip);
    expect(wrapped.map((c) => c.tokens)).toEqual([71, 10]);
  });
});
