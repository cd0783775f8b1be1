import { describe, expect, it } from "vitest";
import { promptNestingDepth } from "./prompt-nesting.ts";

describe("promptNestingDepth counts brackets as A1111's parse_prompt_attention reads them", () => {
  it("counts ( and [ together, at their deepest", () => {
    expect(promptNestingDepth("a fox")).toBe(0);
    expect(promptNestingDepth("((((masterpiece)))), best quality")).toBe(4);
    expect(promptNestingDepth("(a [b (c:1.2)] d) (e)")).toBe(3);
    expect(promptNestingDepth("[a:b:0.5] [c|d]")).toBe(1);
  });

  it("skips escaped brackets, and reads an escaped backslash as one", () => {
    expect(promptNestingDepth("\\(\\(\\[x\\]\\)\\)")).toBe(0);
    expect(promptNestingDepth("\\\\(x)")).toBe(1);
    expect(promptNestingDepth("\\a(x)")).toBe(1);
  });

  it("keeps an unclosed bracket open to the end, and a closing one with none of its kind open is text", () => {
    expect(promptNestingDepth("(a (b (c")).toBe(3);
    expect(promptNestingDepth("(a] (b] (c]")).toBe(3);
    expect(promptNestingDepth("))) ]]] (a)")).toBe(1);
  });

  it("takes a 4,000-bracket prompt in one pass", () => {
    expect(promptNestingDepth("(".repeat(4000))).toBe(4000);
    expect(promptNestingDepth("([".repeat(100_000))).toBe(200_000);
  });
});
