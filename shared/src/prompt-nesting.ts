/**
 * How deep `(` and `[` nest in a prompt, counted as A1111's `parse_prompt_attention`
 * (modules/prompt_parser.py) reads them: a backslash escapes the character after it, `(` and `[` each
 * open a bracket of their own kind, a `)` or `]` closes one of its kind if any is open and is text
 * otherwise, and a bracket left open stays open to the end. One pass, no recursion, so it is safe on
 * any input; the backend's parsers recurse at most this deep.
 *
 * @example
 * promptNestingDepth("((masterpiece)), [blurry]"); // 2
 * promptNestingDepth("\\(not a bracket\\) (a (b) [c])"); // 2
 */
export function promptNestingDepth(prompt: string): number {
  let round = 0;
  let square = 0;
  let deepest = 0;
  for (let i = 0; i < prompt.length; i++) {
    const char = prompt[i];
    if (char === "\\") i++;
    else if (char === ")") round = Math.max(0, round - 1);
    else if (char === "]") square = Math.max(0, square - 1);
    else if (char === "(" || char === "[") {
      if (char === "(") round++;
      else square++;
      deepest = Math.max(deepest, round + square);
    }
  }
  return deepest;
}
