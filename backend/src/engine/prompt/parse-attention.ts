/**
 * A1111's emphasis syntax, ported from `parse_prompt_attention` in AUTOMATIC1111/stable-diffusion-webui
 * `modules/prompt_parser.py`: `(text)` ×1.1, `[text]` ÷1.1, `(text:1.5)` an explicit weight, `\(` `\)`
 * `\[` `\]` `\\` literal characters, `BREAK` a chunk boundary. Brackets left open apply to the end of
 * the prompt; a closing bracket with nothing open is kept as text. Neighbours of equal weight merge.
 */
import { checkPromptNesting } from "./prompt-nesting.ts";

/** A run of prompt text and its weight; a chunk break is `{ text: "BREAK", weight: -1 }`, as in A1111. */
export interface WeightedText {
  text: string;
  weight: number;
}

/** The marker A1111 puts where `BREAK` stood (`["BREAK", -1]`). */
export const BREAK_MARKER: Readonly<WeightedText> = { text: "BREAK", weight: -1 };

/** A `(text:weight)` whose weight Python's `float()` refuses (A1111 raises `ValueError` there). */
export class PromptWeightError extends Error {
  override readonly name = "PromptWeightError";
  readonly weight: string;

  constructor(weight: string) {
    super(`the weight ${JSON.stringify(weight)} in "(text:weight)" is not a number`);
    this.weight = weight;
  }
}

// `re_attention`, alternative for alternative. Python's `\d` matches every Unicode decimal digit; JS's
// only 0-9, so a weight written in other scripts' digits stays text here (A1111 would parse it).
const ATTENTION = /\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|\]|[^\\()[\]:]+|:/gu;
// `re_break` is `\s*\bBREAK\b\s*`; Python's `\b` is Unicode-aware, JS's is not, hence the lookarounds.
// The whitespace around it is taken by hand: as a regex, `\s*` retried from each character of a long
// run of spaces without BREAK costs the square of the run.
const BREAK = /(?<![\p{L}\p{N}_])BREAK(?![\p{L}\p{N}_])/gu;
const SPACE = /\s/u;
const ROUND_MULTIPLIER = 1.1;
const SQUARE_MULTIPLIER = 1 / 1.1;

/**
 * Split a prompt into runs of text and their weights, exactly as A1111 does (its doctests are this
 * module's tests). A prompt nested deeper than the contract's `MAX_PROMPT_NESTING` throws
 * `PromptNestingError`: each bracket multiplies the weights of the runs it holds, so the work is the
 * depth times the length.
 *
 * @example
 * parsePromptAttention("an (important) word");
 * // [{ text: "an ", weight: 1 }, { text: "important", weight: 1.1 }, { text: " word", weight: 1 }]
 */
export function parsePromptAttention(prompt: string): WeightedText[] {
  return parseSourcedAttention(prompt).map(({ text, weight }) => ({ text, weight }));
}

/** Where a piece of a run's text was written: `text.slice(at)` on comes from `prompt.slice(start, end)`. */
export interface SourcePiece {
  at: number;
  start: number;
  end: number;
}

/** A run of {@link parsePromptAttention}, with where each piece of its text stands in the prompt. */
export interface SourcedText extends WeightedText {
  pieces: SourcePiece[];
}

/**
 * {@link parsePromptAttention}'s runs, each with its pieces' places in the prompt: an escaped `\(`
 * is one character of text from two of the prompt; a BREAK's run points at the word BREAK.
 */
export function parseSourcedAttention(prompt: string): SourcedText[] {
  checkPromptNesting(prompt);
  const res: SourcedText[] = [];
  const round: number[] = [];
  const square: number[] = [];
  const multiplyRange = (start: number, multiplier: number) => {
    for (let p = start; p < res.length; p++) (res[p] as SourcedText).weight *= multiplier;
  };
  const piece = (text: string, weight: number, start: number, end: number) =>
    res.push({ text, weight, pieces: [{ at: 0, start, end }] });

  for (const match of prompt.matchAll(ATTENTION)) {
    const text = match[0];
    const weight = match[1];
    if (text.startsWith("\\")) {
      piece(text.slice(1), 1, match.index, match.index + text.length);
    } else if (text === "(") {
      round.push(res.length);
    } else if (text === "[") {
      square.push(res.length);
    } else if (weight !== undefined && round.length > 0) {
      multiplyRange(round.pop() as number, pythonFloat(weight));
    } else if (text === ")" && round.length > 0) {
      multiplyRange(round.pop() as number, ROUND_MULTIPLIER);
    } else if (text === "]" && square.length > 0) {
      multiplyRange(square.pop() as number, SQUARE_MULTIPLIER);
    } else {
      let previousEnd = 0;
      for (const part of splitAtBreaks(text)) {
        const start = match.index + part.from;
        if (part.from > 0) piece(BREAK_MARKER.text, BREAK_MARKER.weight, match.index + previousEnd, start);
        piece(part.text, 1, start, start + part.text.length);
        previousEnd = part.from + part.text.length;
      }
    }
  }
  for (const position of round) multiplyRange(position, ROUND_MULTIPLIER);
  for (const position of square) multiplyRange(position, SQUARE_MULTIPLIER);
  if (res.length === 0) return [{ text: "", weight: 1, pieces: [{ at: 0, start: 0, end: 0 }] }];

  // Merge runs of identical weights (a BREAK's -1 included, as A1111 does).
  const merged: SourcedText[] = [];
  for (const run of res) {
    const last = merged.at(-1);
    if (last !== undefined && last.weight === run.weight) {
      for (const p of run.pieces) last.pieces.push({ ...p, at: p.at + last.text.length });
      last.text += run.text;
    } else merged.push(run);
  }
  return merged;
}

/**
 * `re_break.split(text)`: the text between BREAKs, each BREAK taken with the whitespace around it;
 * `from` is where each part starts in `text`.
 */
function splitAtBreaks(text: string): { text: string; from: number }[] {
  const parts: { text: string; from: number }[] = [];
  let from = 0;
  for (const match of text.matchAll(BREAK)) {
    let start = match.index;
    while (start > from && SPACE.test(text[start - 1] as string)) start--;
    let end = match.index + match[0].length;
    while (end < text.length && SPACE.test(text[end] as string)) end++;
    parts.push({ text: text.slice(from, start), from });
    from = end;
  }
  parts.push({ text: text.slice(from), from });
  return parts;
}

/** Python's `float()` of what `[+-]?[.\d]+` matched: `Number` agrees, except that it gives NaN for "1.2.3". */
function pythonFloat(text: string): number {
  const value = Number(text);
  if (Number.isNaN(value)) throw new PromptWeightError(text);
  return value;
}
