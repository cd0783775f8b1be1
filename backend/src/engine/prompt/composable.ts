/**
 * A1111's composable diffusion ("AND"), ported from `get_multicond_prompt_list` in
 * AUTOMATIC1111/stable-diffusion-webui `modules/prompt_parser.py`: the prompt splits at every `AND`
 * word into sub-prompts, each with an optional trailing `:weight` (default 1). Each is its own
 * conditioning, and guidance adds `weight · scale · (cond − uncond)` for each of them.
 *
 * As there, a single prompt may carry a trailing weight too (`a castle :1.5` guides 1.5 times as
 * hard); a weight inside brackets (`(castle:1.5)`) is emphasis and stays in the text.
 */

export interface SubPrompt {
  text: string;
  weight: number;
}

// `re_AND` is `\bAND\b`; Python's `\b` is Unicode-aware, JS's is not, hence the lookarounds.
const AND = /(?<![\p{L}\p{N}_])AND(?![\p{L}\p{N}_])/u;
// `re_weight`: the text, lazily, then an optional `:number`, then trailing whitespace.
const WEIGHT = /^([\s\S]*?)(?:\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+)))?\s*$/;

/**
 * The sub-prompts of `prompt` and their weights.
 *
 * @example
 * splitComposable("a castle AND a dragon :0.6")
 * // [{ text: "a castle", weight: 1 }, { text: " a dragon", weight: 0.6 }]
 */
export function splitComposable(prompt: string): SubPrompt[] {
  return prompt.split(AND).map((part) => {
    const match = WEIGHT.exec(part);
    if (match === null) return { text: part, weight: 1 };
    const [, text, weight] = match;
    return { text: text ?? "", weight: weight === undefined ? 1 : Number(weight) };
  });
}

/** Whether `prompt` needs more than the plain path: several sub-prompts, or a guidance weight. */
export function isComposable(prompt: string): boolean {
  const parts = splitComposable(prompt);
  return parts.length > 1 || parts[0]?.weight !== 1;
}
