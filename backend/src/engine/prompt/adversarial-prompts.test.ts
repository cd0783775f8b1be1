import { MAX_PROMPT_NESTING, promptNestingDepth } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { cleanClipText, splitClipWords } from "../tokenizer/clip-text.ts";
import { splitComposable } from "./composable.ts";
import { parsePromptAttention } from "./parse-attention.ts";
import { isPromptNestingError } from "./prompt-nesting.ts";
import { promptSchedule } from "./prompt-schedule.ts";

/** Everything that reads a prompt on each request before the text encoder. */
const PARSERS: Record<string, (prompt: string) => unknown> = {
  promptSchedule: (prompt) => promptSchedule(prompt, 30),
  parsePromptAttention,
  splitComposable,
  "CLIP text cleaning": (prompt) => splitClipWords(cleanClipText(prompt)),
};

/** `unit` repeated to exactly `length` characters. */
const fill = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

/** Prompts of `length` characters built to find superlinear regexes and parsers (4,000 is the API's limit). */
const ADVERSARIAL: Record<string, (length: number) => string> = {
  "one whitespace run": (n) => `a${" ".repeat(n - 2)}b`,
  "one whitespace run before a weight": (n) => `a${" ".repeat(n - 6)}: 1.5`,
  "one whitespace run before a colon and no number": (n) => `a${" ".repeat(n - 3)}:x`,
  "whitespace runs between colons": (n) => fill(`${" ".repeat(40)}:`, n),
  "digits after a colon, unclosed": (n) => `(a:${fill("1", n - 3)}`,
  "all (": (n) => "(".repeat(n),
  "all [": (n) => "[".repeat(n),
  "( and [ alternating": (n) => fill("([", n),
  "[a: repeated": (n) => fill("[a:", n),
  "[a| repeated": (n) => fill("[a|", n),
  "(a repeated, never closed": (n) => fill("(a", n),
  "the deepest nesting allowed, never closed": (n) =>
    `${"(".repeat(MAX_PROMPT_NESTING)}${fill("a ", n - MAX_PROMPT_NESTING)}`,
  "the deepest [a: allowed, then text": (n) =>
    `${"[a:".repeat(MAX_PROMPT_NESTING)}${fill("b ", n - 3 * MAX_PROMPT_NESTING)}`,
  "constructs that fail, at depth 1": (n) => fill("(a])", n),
  "scheduled edits": (n) => fill("[a:b:7] ", n),
  alternations: (n) => fill("[a|b|c] ", n),
  "a backslash run": (n) => "\\".repeat(n),
  "escaped brackets": (n) => fill("\\(\\[", n),
  "AND repeated": (n) => fill(" AND", n),
  "AND with weights": (n) => fill("a AND b :1.5 ", n),
  "BREAK repeated": (n) => fill("BREAK ", n),
  "whitespace runs around a word that is not BREAK": (n) => fill(`${" ".repeat(60)}BREAKx`, n),
  "BREAK between whitespace runs": (n) => fill(`BREAK${" ".repeat(60)}`, n),
  "character references": (n) => fill("&amp;amp;&#x27;", n),
  "a long name after &": (n) => `&${"a".repeat(n - 1)}`,
  "a long number after &#": (n) => `&#${"9".repeat(n - 2)}`,
};

/** The fastest of a few runs in milliseconds, after one to warm up: noise only ever adds time. */
function fastestMs(run: () => void): number {
  run();
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

/** Parse, accepting only a result or the typed error a nesting deeper than the contract's earns. */
function parseOrRefuse(parse: (prompt: string) => unknown, prompt: string): void {
  try {
    parse(prompt);
  } catch (error) {
    if (!isPromptNestingError(error)) throw error;
    expect(promptNestingDepth(prompt)).toBeGreaterThan(MAX_PROMPT_NESTING);
  }
}

describe("prompt parsers on adversarial prompts: no crash, linear time", () => {
  for (const [parserName, parse] of Object.entries(PARSERS)) {
    it.each(Object.entries(ADVERSARIAL))(`${parserName}: %s`, (_, make) => {
      const prompt = make(4000);
      expect(prompt).toHaveLength(4000);
      parseOrRefuse(parse, prompt);
      const ms = fastestMs(() => parseOrRefuse(parse, prompt));
      // On 4 times the input a quadratic parser takes 16 times as long, a linear one 4 times, plus the
      // garbage collections its larger allocations start (up to a few ms): 8 times plus 10 ms holds for
      // every linear one on a slow machine, and fails the quadratic regexes this file was written for.
      const longMs = fastestMs(() => parseOrRefuse(parse, make(16_000)));
      expect(ms).toBeLessThan(50);
      expect(longMs).toBeLessThan(8 * ms + 10);
    });
  }

  it("refuses a prompt nested deeper than the contract's limit with the typed error, never a stack overflow", () => {
    for (const prompt of ["(".repeat(4000), "[".repeat(4000), fill("[a:", 4000), fill("([", 4000)]) {
      expect(() => promptSchedule(prompt, 30)).toThrow(
        expect.objectContaining({ name: "PromptNestingError" }),
      );
      expect(() => parsePromptAttention(prompt)).toThrow(
        expect.objectContaining({ name: "PromptNestingError" }),
      );
    }
    const deepest = `${"(".repeat(MAX_PROMPT_NESTING)}a${")".repeat(MAX_PROMPT_NESTING)}`;
    expect(promptSchedule(deepest, 30)).toEqual([{ endAtStep: 30, prompt: deepest }]);
    let weight = 1;
    for (let i = 0; i < MAX_PROMPT_NESTING; i++) weight *= 1.1;
    expect(parsePromptAttention(deepest)).toEqual([{ text: "a", weight }]);
  });
});
