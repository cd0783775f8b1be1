import { describe, expect, it } from "vitest";
import { PromptWeightError, parsePromptAttention } from "./parse-attention.ts";

/** As A1111's doctests print them: `[[text, weight], …]`. */
const parse = (prompt: string) => parsePromptAttention(prompt).map(({ text, weight }) => [text, weight]);

// The doctests of `parse_prompt_attention`, AUTOMATIC1111/stable-diffusion-webui modules/prompt_parser.py,
// with the exact float64 products Python prints.
const DOCTESTS: [string, [string, number][]][] = [
  ["normal text", [["normal text", 1.0]]],
  [
    "an (important) word",
    [
      ["an ", 1.0],
      ["important", 1.1],
      [" word", 1.0],
    ],
  ],
  ["(unbalanced", [["unbalanced", 1.1]]],
  ["\\(literal\\]", [["(literal]", 1.0]]],
  ["(unnecessary)(parens)", [["unnecessaryparens", 1.1]]],
  [
    "a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
    [
      ["a ", 1.0],
      ["house", 1.5730000000000004],
      [" ", 1.1],
      ["on", 1.0],
      [" a ", 1.1],
      ["hill", 0.55],
      [", sun, ", 1.1],
      ["sky", 1.4641000000000006],
      [".", 1.1],
    ],
  ],
];

describe("A1111's parse_prompt_attention doctests", () => {
  it.each(DOCTESTS)("%s", (prompt, expected) => {
    expect(parse(prompt)).toEqual(expected);
  });
});

// Beyond the doctests: other paths of the same code, with what A1111 gives for them.
const MORE: [string, string, [string, number][]][] = [
  ["((word)) is ×1.21", "((fox))", [["fox", 1.1 * 1.1]]],
  ["[word] is ÷1.1", "[fox]", [["fox", 1 / 1.1]]],
  ["spaces may surround an explicit weight", "(fox : 1.5 )", [["fox ", 1.5]]],
  ["an explicit weight may be negative", "(fox:-0.5)", [["fox", -0.5]]],
  ["a closing bracket with nothing open is text", "fox) cat] a:b", [["fox) cat] a:b", 1.0]]],
  ["a colon outside a weight is text", "(a:b)", [["a:b", 1.1]]],
  ["an explicit weight with no bracket open is text", "fox:1.5)", [["fox:1.5)", 1.0]]],
  ["\\\\ is a backslash", "a\\\\b", [["a\\b", 1.0]]],
  ["a lone trailing backslash disappears", "a\\", [["a", 1.0]]],
  [
    "BREAK is a marker of weight -1 and takes the spaces around it",
    "a cat BREAK a dog",
    [
      ["a cat", 1.0],
      ["BREAK", -1],
      ["a dog", 1.0],
    ],
  ],
  ["BREAK counts only as a whole, upper-case word", "BREAKFAST break", [["BREAKFAST break", 1.0]]],
  // A1111's quirk, kept: the multiplied marker is no longer -1, so it is tokenised as text.
  [
    "a BREAK inside brackets is multiplied too",
    "(a BREAK b)",
    [
      ["a", 1.1],
      ["BREAK", -1.1],
      ["b", 1.1],
    ],
  ],
  ["an empty prompt is one empty run", "", [["", 1.0]]],
  ["empty brackets leave one empty run", "()", [["", 1.0]]],
];

describe("parsePromptAttention beyond the doctests", () => {
  it.each(MORE)("%s: %s", (_why, prompt, expected) => {
    expect(parse(prompt)).toEqual(expected);
  });

  it("rejects a weight Python's float() refuses", () => {
    expect(() => parsePromptAttention("(fox:1.2.3)")).toThrow(PromptWeightError);
    expect(() => parsePromptAttention("(fox:.)")).toThrow(/"\."/);
  });
});
