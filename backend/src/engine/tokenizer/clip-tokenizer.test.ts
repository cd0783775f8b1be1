import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { mergesTxt, trainClipBpe, vocabJson } from "../../model-builder/bpe-trainer.ts";
import { PROMPT_CORPUS } from "../../model-builder/corpus.ts";
import { ClipTokenizer } from "./clip-tokenizer.ts";

// The real SD 1.x vocabulary lives outside the repository (data only, never copied in).
const clipDir = fileURLToPath(new URL("../../../../../shared/data/clip/", import.meta.url));
const hasClipVocab = existsSync(`${clipDir}vocab.json`) && existsSync(`${clipDir}merges.txt`);
const realTokenizer = () =>
  ClipTokenizer.fromFiles(
    readFileSync(`${clipDir}vocab.json`, "utf8"),
    readFileSync(`${clipDir}merges.txt`, "utf8"),
  );

describe(`ClipTokenizer with SD 1.x's vocabulary${hasClipVocab ? "" : " (skipped: vocabulary absent at ../shared/data/clip)"}`, () => {
  it.skipIf(!hasClipVocab)(
    "gives the ids diffusers gives for a prompt, padded to 77 with <|endoftext|>",
    () => {
      const ids = realTokenizer().encode("An astronaut riding a horse");
      expect(ids.slice(0, 7)).toEqual([49406, 550, 18376, 6765, 320, 4558, 49407]);
      expect(ids).toHaveLength(77);
      expect(ids.slice(7)).toEqual(new Array(70).fill(49407));
    },
  );

  it.skipIf(!hasClipVocab)("truncates a long prompt to BOS + 75 tokens + EOS", () => {
    const ids = realTokenizer().encode("horse ".repeat(100));
    expect(ids).toHaveLength(77);
    expect(ids[0]).toBe(49406);
    expect(ids.slice(1, 76)).toEqual(new Array(75).fill(4558));
    expect(ids[76]).toBe(49407);
  });

  it.skipIf(!hasClipVocab)("ignores case and extra whitespace, and splits punctuation and digits", () => {
    const tokenizer = realTokenizer();
    expect(tokenizer.encode("  AN   astronaut\n riding a HORSE ")).toEqual(
      tokenizer.encode("an astronaut riding a horse"),
    );
    expect(tokenizer.decode(tokenizer.encode("a cat's hat, 42 times!"))).toBe("a cat 's hat , 4 2 times !");
  });

  it.skipIf(!hasClipVocab)(
    "reads HTML character references twice, as openai CLIP's basic_clean does (html.unescape)",
    () => {
      const tokenizer = realTokenizer();
      // vocab.json: fish</w> 2759, &</w> 261, chips</w> 8855, '</w> 262, rock</w> 2172, n</w> 333,
      // roll</w> 3341; © is UTF-8 C2 A9, which bytes_to_unicode writes Â©, and Â©</w> is 5811.
      const fishAndChips = [2759, 261, 8855];
      expect(tokenizer.tokenize("fish & chips")).toEqual(fishAndChips);
      expect(tokenizer.tokenize("fish &amp; chips")).toEqual(fishAndChips);
      expect(tokenizer.tokenize("fish &amp chips")).toEqual(fishAndChips);
      expect(tokenizer.tokenize("fish &#38; chips")).toEqual(fishAndChips);
      expect(tokenizer.tokenize("fish &#x26; chips")).toEqual(fishAndChips);
      expect(tokenizer.tokenize("&amp;amp;")).toEqual([261]);
      expect(tokenizer.tokenize("&#x27;")).toEqual([262]);
      expect(tokenizer.tokenize("rock &#x27;n&#39; roll")).toEqual([2172, 262, 333, 262, 3341]);
      expect(tokenizer.tokenize("&copy;")).toEqual([5811]);
      expect(tokenizer.tokenize("&copy")).toEqual([5811]);
    },
  );

  it.skipIf(!hasClipVocab)("pads with another token when asked (SD 2.x pads with '!')", () => {
    const tokenizer = ClipTokenizer.fromFiles(
      readFileSync(`${clipDir}vocab.json`, "utf8"),
      readFileSync(`${clipDir}merges.txt`, "utf8"),
      {
        padToken: "!",
      },
    );
    expect(tokenizer.encode("a horse").slice(0, 5)).toEqual([49406, 320, 4558, 49407, 0]);
  });
});

describe("ClipTokenizer with a vocabulary trained here", () => {
  const { vocab, merges } = trainClipBpe(PROMPT_CORPUS, 1000);
  const tokenizer = ClipTokenizer.fromFiles(vocabJson(vocab), mergesTxt(merges));

  it("round-trips prompt text through ids", () => {
    for (const prompt of [
      "a red fox sitting in a snowy forest",
      "Portrait of an OLD sailor, oil painting",
      "ünïcödé zebra 123",
    ]) {
      expect(tokenizer.decode(tokenizer.encode(prompt))).toBe(
        tokenizer.decode(tokenizer.encode(prompt.toLowerCase())),
      );
    }
    expect(tokenizer.decode(tokenizer.encode("a red fox sitting in a snowy forest"))).toBe(
      "a red fox sitting in a snowy forest",
    );
  });

  it("encodes words of its corpus as single tokens and unseen words as pieces", () => {
    expect(tokenizer.tokenize("forest")).toHaveLength(1);
    expect(tokenizer.tokenize("zyxwv").length).toBeGreaterThan(1);
  });

  it("puts BOS and EOS at the ends and pads to 77", () => {
    const ids = tokenizer.encode("a cat");
    expect(ids).toHaveLength(77);
    expect(ids[0]).toBe(tokenizer.bosId);
    expect(ids.filter((id) => id === tokenizer.eosId)).toHaveLength(77 - 3);
  });

  it("rejects a vocabulary without CLIP's special tokens", () => {
    expect(() => ClipTokenizer.fromFiles(JSON.stringify({ a: 0 }), "#version: 0.2\n")).toThrow(
      /<\|startoftext\|>/,
    );
  });
});
