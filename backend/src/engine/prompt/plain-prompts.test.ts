import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { TinyFamily } from "../../model-builder/tiny-families.ts";
import { createSession, type LoadedSession } from "../models/onnx-session.ts";
import { TextEncoderSession } from "../models/text-encoder.ts";
import { tinyModelDir } from "../test-models.ts";
import { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import { chunkPrompt } from "./chunk-tokens.ts";
import { encodeChunks } from "./encode-chunks.ts";
import { parsePromptAttention } from "./parse-attention.ts";

/**
 * The promise kept to users: a prompt without emphasis syntax and of at most 75 tokens is encoded
 * exactly as before prompt weighting existed (`ClipTokenizer.encode` → encoder), so its images are the
 * same, bit for bit.
 */
const PLAIN_PROMPTS = [
  "a red fox in a snowy forest",
  "a lighthouse: on a cliff, at sunset",
  "Portrait of an OLD sailor, oil painting, 4k",
  "",
];
const sessions: LoadedSession[] = [];
afterAll(() => Promise.all(sessions.map((s) => s.session.release())));
const silent = { info() {}, warn() {} };

async function textStack(family: TinyFamily) {
  const dir = await tinyModelDir({ family });
  const sdxl = family === "sdxl";
  const folders = sdxl ? ["", "_2"] : [""];
  const tokenizers = await Promise.all(folders.map((f) => ClipTokenizer.fromDir(join(dir, `tokenizer${f}`))));
  const encoders: TextEncoderSession[] = [];
  for (const [i, f] of folders.entries()) {
    const loaded = await createSession(dir, `text_encoder${f}/model.onnx`, ["cpu"], silent);
    sessions.push(loaded);
    encoders.push(
      new TextEncoderSession(loaded, { penultimate: sdxl, pooled: sdxl && i === folders.length - 1 }),
    );
  }
  return { tokenizers, encoders };
}

describe("plain prompts of ≤ 75 tokens are encoded bit for bit as before", () => {
  for (const family of ["sd15", "sd2-v", "sdxl"] as const) {
    it(`${family}: same token ids and the same embeddings`, async () => {
      const stack = await textStack(family);
      const full = `${"a, ".repeat(37)}a`;
      expect(stack.tokenizers[0]?.tokenize(full)).toHaveLength(75);
      const prompts = [...PLAIN_PROMPTS, full];
      for (const prompt of prompts) {
        const chunks = stack.tokenizers.map((tokenizer) =>
          chunkPrompt(parsePromptAttention(prompt), tokenizer),
        );
        expect(chunks.map((c) => c.map((chunk) => chunk.ids))).toEqual(
          stack.tokenizers.map((tokenizer) => [tokenizer.encode(prompt)]),
        );
        // The path before prompt weighting, per encoder: `encoder.encode(tokenizer.encode(prompt))`.
        // (SDXL's per-token join of the two is the same code as before, moved to encode-chunks.ts.)
        for (const [i, encoder] of stack.encoders.entries()) {
          const now = await encodeChunks([encoder], [chunks[i] ?? []]);
          const before = await encoder.encode((stack.tokenizers[i] as ClipTokenizer).encode(prompt));
          expect(now.dims).toEqual(before.dims);
          expect(Buffer.from(now.hidden.buffer).equals(Buffer.from(before.hidden.buffer))).toBe(true);
          expect(now.pooled).toEqual(before.pooled);
        }
      }
    });
  }
});

// The real SD 1.x vocabulary lives outside the repository (data only, never copied in).
const clipDir = fileURLToPath(new URL("../../../../../shared/data/clip/", import.meta.url));
const hasClipVocab = existsSync(`${clipDir}vocab.json`) && existsSync(`${clipDir}merges.txt`);
const realTokenizer = (padToken?: string) =>
  ClipTokenizer.fromFiles(
    readFileSync(`${clipDir}vocab.json`, "utf8"),
    readFileSync(`${clipDir}merges.txt`, "utf8"),
    padToken === undefined ? {} : { padToken },
  );

describe(`chunking with SD 1.x's vocabulary${hasClipVocab ? "" : " (skipped: vocabulary absent at ../shared/data/clip)"}`, () => {
  it.skipIf(!hasClipVocab)("gives a plain prompt the ids diffusers gives, for both pad tokens", () => {
    for (const pad of [undefined, "!"]) {
      const tokenizer = realTokenizer(pad);
      for (const prompt of [...PLAIN_PROMPTS, "An astronaut riding a horse"]) {
        expect(chunkPrompt(parsePromptAttention(prompt), tokenizer).map((c) => c.ids)).toEqual([
          tokenizer.encode(prompt),
        ]);
      }
    }
  });

  it.skipIf(!hasClipVocab)("tokenises each weighted run on its own and weights its tokens", () => {
    const tokenizer = realTokenizer();
    const [chunk] = chunkPrompt(parsePromptAttention("An astronaut (riding:1.3) a [horse]"), tokenizer);
    expect(chunk?.ids.slice(0, 7)).toEqual([49406, 550, 18376, 6765, 320, 4558, 49407]);
    expect(chunk?.multipliers.slice(0, 7)).toEqual([1, 1, 1, 1.3, 1, 1 / 1.1, 1]);
  });

  it.skipIf(!hasClipVocab)(
    "moves words after the last comma to the next chunk, as A1111's word wrap does",
    () => {
      const tokenizer = realTokenizer();
      // 70 × "horse", a comma (267), then 10 × "horse": the comma's 4 followers are moved.
      const chunks = chunkPrompt(
        parsePromptAttention(`${"horse ".repeat(70)}, ${"horse ".repeat(10)}`),
        tokenizer,
      );
      expect(chunks).toHaveLength(2);
      expect(chunks[0]?.ids.slice(70, 73)).toEqual([4558, 267, 49407]);
      expect(chunks[1]?.ids.slice(0, 12)).toEqual([49406, ...new Array(10).fill(4558), 49407]);
    },
  );
});
