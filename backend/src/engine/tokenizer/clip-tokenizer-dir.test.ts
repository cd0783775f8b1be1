import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mergesTxt, trainClipBpe, vocabJson } from "../../model-builder/bpe-trainer.ts";
import { PROMPT_CORPUS } from "../../model-builder/corpus.ts";
import { ClipTokenizer } from "./clip-tokenizer.ts";

let root: string;
const { vocab, merges } = trainClipBpe(PROMPT_CORPUS, 600);
const eos = { content: "<|endoftext|>", lstrip: false, normalized: true, rstrip: false, single_word: false };

/** A tokenizer folder as diffusers saves one, with these two JSON files. */
async function tokenizerDir(
  name: string,
  tokenizerConfig: object,
  specialTokensMap: object,
): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "vocab.json"), vocabJson(vocab));
  await writeFile(join(dir, "merges.txt"), mergesTxt(merges));
  await writeFile(
    join(dir, "tokenizer_config.json"),
    JSON.stringify({ model_max_length: 77, ...tokenizerConfig }),
  );
  await writeFile(join(dir, "special_tokens_map.json"), JSON.stringify(specialTokensMap));
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "sdgate-tokenizer-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("ClipTokenizer.fromDir pads as the folder's config says", () => {
  it("SD 1.x: pads with <|endoftext|>", async () => {
    const dir = await tokenizerDir("sd15", { pad_token: eos }, { pad_token: "<|endoftext|>" });
    const tokenizer = await ClipTokenizer.fromDir(dir);
    const ids = tokenizer.encode("a fox");
    expect(tokenizer.padId).toBe(tokenizer.eosId);
    expect(ids.slice(-10)).toEqual(new Array(10).fill(tokenizer.eosId));
  });

  it("SD 2.x: pads with '!' from special_tokens_map.json, which overrides tokenizer_config.json", async () => {
    const dir = await tokenizerDir("sd2", { pad_token: eos }, { pad_token: "!" });
    const tokenizer = await ClipTokenizer.fromDir(dir);
    const ids = tokenizer.encode("a fox");
    const bang = vocab.get("!");
    expect(bang).toBeDefined();
    expect(tokenizer.padId).toBe(bang);
    expect(ids.at(-1)).toBe(bang);
    expect(ids.indexOf(tokenizer.eosId)).toBe(ids.lastIndexOf(tokenizer.eosId));
  });

  it("SDXL's tokenizer_2: pads with '!' named only in tokenizer_config.json", async () => {
    const dir = await tokenizerDir("sdxl-2", { pad_token: "!" }, {});
    const tokenizer = await ClipTokenizer.fromDir(dir);
    expect(tokenizer.encode("a fox").at(-1)).toBe(vocab.get("!"));
    expect(tokenizer.maxLength).toBe(77);
  });
});
