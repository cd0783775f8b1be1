import type { PromptTokens } from "@sdgate/shared";
import type { SyntaxSpan } from "./a1111-syntax.ts";

/**
 * The count line under a prompt editor: `chunk 1: 42/75 · chunk 2: 3/75`, a chunk past the model's
 * limit marked `(past the limit)`.
 *
 * @example
 * chunkSummary(counted); // "chunk 1: 42/75 · chunk 2: 3/75"
 */
export function chunkSummary(counted: PromptTokens): string {
  return counted.chunks
    .map((chunk, i) => {
      const past = chunk.over_limit ? " (past the limit)" : "";
      return `chunk ${i + 1}: ${chunk.tokens}/${counted.chunk_tokens}${past}`;
    })
    .join(" · ");
}

/** A piece of the highlighted overlay: a syntax span, or the part of one that lies in one chunk. */
export interface OverlayPiece extends SyntaxSpan {
  /** The chunk this text's tokens went to (0-based); 0 before the first count arrives. */
  chunk: number;
  /** The first piece of a chunk after the first: where the editor draws the chunk boundary. */
  chunkStart: boolean;
  overLimit: boolean;
}

/**
 * The syntax spans cut where each counted chunk begins, each piece knowing its chunk: a chunk runs
 * from its text's start to the next chunk's start (so BREAK and brackets between belong to the
 * chunk before). Counts for another text than `prompt` (a reply that arrived late) are not used.
 */
export function overlayPieces(
  prompt: string,
  spans: readonly SyntaxSpan[],
  counted: PromptTokens | null,
): OverlayPiece[] {
  const chunks = counted?.chunks ?? [];
  const fits = chunks.every((chunk) => chunk.end <= prompt.length);
  const starts = fits ? chunks.slice(1).map((chunk) => chunk.start) : [];
  const chunkAt = (offset: number) => starts.filter((start) => start <= offset).length;
  const pieces: OverlayPiece[] = [];
  for (const span of spans) {
    const cuts = [span.start, ...starts.filter((s) => s > span.start && s < span.end), span.end];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const start = cuts[i] as number;
      const chunk = chunkAt(start);
      pieces.push({
        ...span,
        start,
        end: cuts[i + 1] as number,
        chunk,
        chunkStart: chunk > 0 && starts[chunk - 1] === start && pieces.at(-1)?.chunk !== chunk,
        overLimit: fits && chunks[chunk]?.over_limit === true,
      });
    }
  }
  return pieces;
}
