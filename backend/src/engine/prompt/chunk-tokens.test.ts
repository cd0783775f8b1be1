import { describe, expect, it } from "vitest";
import { chunkPrompt, emptyChunk, padChunks } from "./chunk-tokens.ts";
import { parsePromptAttention } from "./parse-attention.ts";

/** Words are their length as ids (a comma is 99), BOS 1000, EOS 1001; `pad` 0 for SD 2.x's style. */
function fakeTokenizer(padId = 1001, maxLength = 77) {
  return {
    bosId: 1000,
    eosId: 1001,
    padId,
    maxLength,
    tokenize: (text: string) =>
      (text.toLowerCase().match(/[a-z]+|,/g) ?? []).map((word) => (word === "," ? 99 : word.length)),
  };
}
const tokenizer = fakeTokenizer();
const chunk = (prompt: string, t = tokenizer, commaBacktrack?: number) =>
  chunkPrompt(parsePromptAttention(prompt), t, commaBacktrack === undefined ? {} : { commaBacktrack });
const words = (n: number, word = "ab") => new Array(n).fill(word).join(" ");

describe("chunkPrompt (A1111's tokenize_line)", () => {
  it("gives one 77-id chunk for a short prompt: BOS, tokens, EOS-filled, weights per token", () => {
    const [only, ...rest] = chunk("a (fox:1.5) [is]");
    expect(rest).toHaveLength(0);
    expect(only?.ids.slice(0, 6)).toEqual([1000, 1, 3, 2, 1001, 1001]);
    expect(only?.ids).toHaveLength(77);
    expect(only?.multipliers.slice(0, 5)).toEqual([1, 1, 1.5, 1 / 1.1, 1]);
    expect(only?.multipliers).toHaveLength(77);
  });

  it("pads after the first EOS with the pad token when it differs (SD 2.x)", () => {
    const [only] = chunk("a fox", fakeTokenizer(0));
    expect(only?.ids.slice(0, 6)).toEqual([1000, 1, 3, 1001, 0, 0]);
    expect(only?.ids.at(-1)).toBe(0);
  });

  it("gives the empty prompt one chunk, the same as emptyChunk", () => {
    expect(chunk("")).toEqual([emptyChunk(tokenizer)]);
    expect(emptyChunk(tokenizer).ids).toEqual([1000, ...new Array(76).fill(1001)]);
  });

  it("starts a new chunk every 75 tokens", () => {
    const chunks = chunk(words(160));
    expect(chunks).toHaveLength(3);
    for (const c of chunks) expect([c.ids[0], c.ids[76], c.ids.length]).toEqual([1000, 1001, 77]);
    expect(chunks[1]?.ids.slice(1, 76)).toEqual(new Array(75).fill(2));
    expect(chunks[2]?.ids.slice(1, 12)).toEqual([...new Array(10).fill(2), 1001]);
  });

  it("gives exactly 75 tokens one chunk, and 76 two", () => {
    expect(chunk(words(75))).toHaveLength(1);
    expect(chunk(words(76))).toHaveLength(2);
  });

  it("starts a new chunk at BREAK; a trailing BREAK adds none", () => {
    const chunks = chunk("a fox BREAK a cat");
    expect(chunks.map((c) => c.ids.slice(0, 4))).toEqual([
      [1000, 1, 3, 1001],
      [1000, 1, 3, 1001],
    ]);
    expect(chunk("a fox BREAK")).toHaveLength(1);
  });

  it("moves the words after a comma within 20 tokens of a full chunk to the next one", () => {
    // 70 tokens, a comma (71st), then 10 more: the chunk fills at 75, 4 after the comma.
    const chunks = chunk(`${words(70)} , ${words(10, "abc")}`);
    expect(chunks).toHaveLength(2);
    expect(chunks[0]?.ids.slice(70, 73)).toEqual([2, 99, 1001]);
    expect(chunks[1]?.ids.slice(1, 12)).toEqual([...new Array(10).fill(3), 1001]);
    // Turned off, the chunk is simply cut at 75.
    const cut = chunk(`${words(70)} , ${words(10, "abc")}`, tokenizer, 0);
    expect(cut[0]?.ids.slice(70, 77)).toEqual([2, 99, 3, 3, 3, 3, 1001]);
  });

  it("keeps each token's weight when it moves", () => {
    const chunks = chunk(`${words(70)} , (${words(10, "abc")}:1.3)`);
    expect(chunks[1]?.multipliers.slice(0, 12)).toEqual([1, ...new Array(10).fill(1.3), 1]);
  });

  it("pads to a chunk count with empty chunks", () => {
    const padded = padChunks(chunk("a fox"), 3, tokenizer);
    expect(padded).toHaveLength(3);
    expect(padded[2]).toEqual(emptyChunk(tokenizer));
  });
});
