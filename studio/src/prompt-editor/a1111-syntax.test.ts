import { describe, expect, it } from "vitest";
import { bracketProblems, highlightPrompt } from "./a1111-syntax.ts";

/** Each span as `kind:text` (with `!` for a lone bracket and `@depth` for a bracket). */
const read = (prompt: string) =>
  highlightPrompt(prompt).map((span) => {
    const text = prompt.slice(span.start, span.end);
    const depth = span.depth === undefined ? "" : `@${span.depth}`;
    return `${span.kind}:${text}${depth}${span.unbalanced ? "!" : ""}`;
  });

describe("highlightPrompt", () => {
  it("marks emphasis brackets with their depth, and a weight before the closing bracket", () => {
    expect(read("a ((fox:1.2)) [snow]")).toEqual([
      "text:a ",
      "paren:(@0",
      "paren:(@1",
      "text:fox",
      "weight::1.2",
      "paren:)@1",
      "paren:)@0",
      "text: ",
      "square:[@0",
      "text:snow",
      "square:]@0",
    ]);
  });

  it("marks BREAK and AND only as words of their own", () => {
    expect(read("sky BREAK sea AND land BREAKFAST ANDES")).toEqual([
      "text:sky ",
      "break:BREAK",
      "text: sea ",
      "and:AND",
      "text: land BREAKFAST ANDES",
    ]);
  });

  it("marks extra networks, escapes and prompt editing separators", () => {
    expect(read("<lora:film-look:0.8> \\(fox\\) [cat:dog:0.5] [a|b]")).toEqual([
      "network:<lora:film-look:0.8>",
      "text: ",
      "escape:\\(",
      "text:fox",
      "escape:\\)",
      "text: ",
      "square:[@0",
      "text:cat",
      "separator::",
      "text:dog",
      "separator::",
      "text:0.5",
      "square:]@0",
      "text: ",
      "square:[@0",
      "text:a",
      "separator:|",
      "text:b",
      "square:]@0",
    ]);
  });

  it("leaves a colon outside brackets, and a colon without a number, as text", () => {
    expect(read("style: (fox:big)")).toEqual(["text:style: ", "paren:(@0", "text:fox:big", "paren:)@0"]);
  });

  it("covers the prompt end to end, whatever it holds", () => {
    for (const prompt of ["", "plain", "((((", "\\", "a\\", "<lora:x", ")(][", "(a:1.2.3)"]) {
      const spans = highlightPrompt(prompt);
      expect(spans.map((span) => prompt.slice(span.start, span.end)).join("")).toBe(prompt);
      for (const [i, span] of spans.entries()) if (i > 0) expect(span.start).toBe(spans[i - 1]?.end);
    }
  });
});

describe("bracketProblems", () => {
  it("finds a bracket never closed and one that closes nothing, as A1111 pairs them", () => {
    expect(bracketProblems("(fox [snow) ]")).toEqual([]);
    expect(bracketProblems("a (fox:1.2 and snow)) ]")).toEqual([
      { at: 20, char: ")", kind: "unopened" },
      { at: 22, char: "]", kind: "unopened" },
    ]);
    expect(bracketProblems("((fox) [snow")).toEqual([
      { at: 0, char: "(", kind: "unclosed" },
      { at: 7, char: "[", kind: "unclosed" },
    ]);
    expect(bracketProblems("\\(fox\\]")).toEqual([]);
  });
});
