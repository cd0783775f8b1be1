import type { PromptTokens } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { highlightPrompt } from "./a1111-syntax.ts";
import { chunkSummary, overlayPieces } from "./token-chunks.ts";

const counted = (chunks: PromptTokens["chunks"], maxChunks = 8): PromptTokens => ({
  object: "prompt.tokens",
  model: "tiny",
  chunk_tokens: 75,
  max_chunks: maxChunks,
  total_tokens: chunks.reduce((sum, chunk) => sum + chunk.tokens, 0),
  tokens_over_limit: 0,
  chunks,
});

describe("chunkSummary", () => {
  it("counts each chunk out of 75 and marks the ones past the model's limit", () => {
    const answer = counted([
      { tokens: 42, start: 0, end: 10, over_limit: false },
      { tokens: 3, start: 17, end: 20, over_limit: true },
    ]);
    expect(chunkSummary(answer)).toBe("chunk 1: 42/75 · chunk 2: 3/75 (past the limit)");
  });
});

describe("overlayPieces", () => {
  const prompt = "(red fox:1.2) BREAK snow";
  const answer = counted([
    { tokens: 2, start: 1, end: 8, over_limit: false },
    { tokens: 1, start: 20, end: 24, over_limit: true },
  ]);

  it("gives each piece of text its chunk, and marks where the second chunk begins", () => {
    const pieces = overlayPieces(prompt, highlightPrompt(prompt), answer);
    // the syntax's spans, the text after BREAK cut where the second chunk's words begin
    expect(pieces.map((p) => p.start)).toEqual([...highlightPrompt(prompt).map((s) => s.start), 20]);
    const snow = pieces.find((p) => prompt.slice(p.start, p.end) === "snow");
    expect(snow).toMatchObject({ chunk: 1, chunkStart: true, overLimit: true });
    const fox = pieces.find((p) => prompt.slice(p.start, p.end) === "red fox");
    expect(fox).toMatchObject({ chunk: 0, chunkStart: false, overLimit: false });
  });

  it("cuts a span that a chunk boundary falls in", () => {
    const text = "light light light";
    const pieces = overlayPieces(
      text,
      highlightPrompt(text),
      counted([
        { tokens: 2, start: 0, end: 11, over_limit: false },
        { tokens: 1, start: 12, end: 17, over_limit: false },
      ]),
    );
    expect(pieces.map((p) => [text.slice(p.start, p.end), p.chunk, p.chunkStart])).toEqual([
      ["light light ", 0, false],
      ["light", 1, true],
    ]);
  });

  it("ignores counts made for a longer text than the one shown", () => {
    const pieces = overlayPieces("fox", highlightPrompt("fox"), answer);
    expect(pieces).toEqual([
      { kind: "text", start: 0, end: 3, chunk: 0, chunkStart: false, overLimit: false },
    ]);
  });
});
