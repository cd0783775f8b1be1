/**
 * A1111's composable diffusion ("AND"), ported from `get_multicond_prompt_list` in
 * AUTOMATIC1111/stable-diffusion-webui `modules/prompt_parser.py`: the prompt splits at every `AND`
 * word into sub-prompts, each with an optional trailing `:weight` (default 1). Each is its own
 * conditioning, and guidance adds `weight · scale · (cond − uncond)` for each of them.
 *
 * As there, a single prompt may carry a trailing weight too (`a castle :1.5` guides 1.5 times as
 * hard); a weight inside brackets (`(castle:1.5)`) is emphasis and stays in the text.
 */

import { InvalidArgumentError } from "../errors.ts";

/** The most sub-prompts of a composable prompt: each adds a row to every UNet call. */
export const MAX_SUB_PROMPTS = 8;

export interface SubPrompt {
  text: string;
  weight: number;
}

// `re_AND` is `\bAND\b`; Python's `\b` is Unicode-aware, JS's is not, hence the lookarounds.
const AND = /(?<![\p{L}\p{N}_])AND(?![\p{L}\p{N}_])/gu;
// The number that `re_weight` allows. `weighted` finds it from the end: as one regex,
// `^([\s\S]*?)(?:\s*:\s*(number))?\s*$` retries its lazy text at each character of a whitespace run
// and scans the rest of the run each time, which costs the square of the run.
const WEIGHT_NUMBER = /^[-+]?(?:\d+\.?|\d*\.\d+)$/;
const SPACE = /\s/;

/**
 * The sub-prompts of `prompt` and their weights.
 *
 * @example
 * splitComposable("a castle AND a dragon :0.6")
 * // [{ text: "a castle", weight: 1 }, { text: " a dragon", weight: 0.6 }]
 */
export function splitComposable(prompt: string): SubPrompt[] {
  return composableParts(prompt).map(({ text, weight }) => ({ text, weight }));
}

/**
 * {@link splitComposable} with where each sub-prompt's text starts in `prompt` (its text is the start
 * of the part between two `AND`s, up to its weight).
 *
 * @example
 * composableParts("a castle AND a dragon :0.6")[1] // { text: " a dragon", weight: 0.6, at: 12 }
 */
export function composableParts(prompt: string): Array<SubPrompt & { at: number }> {
  const parts: Array<SubPrompt & { at: number }> = [];
  let at = 0;
  for (const match of prompt.matchAll(AND)) {
    parts.push({ ...weighted(prompt.slice(at, match.index)), at });
    at = match.index + match[0].length;
  }
  parts.push({ ...weighted(prompt.slice(at)), at });
  return parts;
}

/**
 * The sub-prompts the engine encodes for `prompt`: with guidance, its {@link composableParts}; without
 * it (see `runsGuidance`) there is no unconditional row to weigh them against, so the prompt is read
 * whole, `AND` and all. More than {@link MAX_SUB_PROMPTS} is refused, naming `prompt`.
 *
 * @example
 * encodedSubPrompts("a castle AND a dragon", false) // [{ text: "a castle AND a dragon", weight: 1, at: 0 }]
 */
export function encodedSubPrompts(prompt: string, guided: boolean): Array<SubPrompt & { at: number }> {
  if (!guided) return [{ text: prompt, weight: 1, at: 0 }];
  const parts = composableParts(prompt);
  if (parts.length > MAX_SUB_PROMPTS)
    throw new InvalidArgumentError(
      "prompt",
      `${parts.length} sub-prompts`,
      `has to have at most ${MAX_SUB_PROMPTS} AND-joined sub-prompts`,
    );
  return parts;
}

/** Whether `prompt` needs more than the plain path: several sub-prompts, or a guidance weight. */
export function isComposable(prompt: string): boolean {
  const parts = splitComposable(prompt);
  return parts.length > 1 || parts[0]?.weight !== 1;
}

/**
 * `re_weight` on one sub-prompt: the text, lazily, then an optional `:number`, then trailing
 * whitespace. The number, when there is one, is the last word (no space or colon in it), after a
 * colon and whitespace; the text ends before the whitespace that precedes that colon, or else before
 * the trailing whitespace.
 */
function weighted(part: string): SubPrompt {
  const trimmedEnd = skipSpaceBack(part, part.length);
  let numberStart = trimmedEnd;
  while (numberStart > 0 && !isSpaceOrColon(part[numberStart - 1] as string)) numberStart--;
  const colon = skipSpaceBack(part, numberStart) - 1;
  const number = part.slice(numberStart, trimmedEnd);
  if (part[colon] === ":" && WEIGHT_NUMBER.test(number))
    return { text: part.slice(0, skipSpaceBack(part, colon)), weight: Number(number) };
  return { text: part.slice(0, trimmedEnd), weight: 1 };
}

/** Where the whitespace that ends `text[0, end)` begins. */
function skipSpaceBack(text: string, end: number): number {
  let index = end;
  while (index > 0 && SPACE.test(text[index - 1] as string)) index--;
  return index;
}

function isSpaceOrColon(char: string): boolean {
  return char === ":" || SPACE.test(char);
}
