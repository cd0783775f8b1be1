/**
 * A1111's prompt syntax as spans of the text, for the prompt editors' highlighting: emphasis
 * brackets `( )` and `[ ]` with their nesting depth, weights `(word:1.2)`, prompt editing and
 * alternation separators inside `[ ]` (`[a:b:0.5]`, `[a|b]`), `BREAK`, `AND`, extra networks
 * (`<lora:name:0.8>`), escapes (`\(`), and brackets that never close or close nothing. Brackets pair
 * as A1111's `parse_prompt_attention` pairs them (modules/prompt_parser.py): a backslash escapes the
 * next character, and a `)` or `]` closes the innermost open bracket of its own kind.
 */

export type SpanKind =
  | "text"
  | "paren"
  | "square"
  | "weight"
  | "separator"
  | "break"
  | "and"
  | "network"
  | "escape";

export interface SyntaxSpan {
  kind: SpanKind;
  /** UTF-16 offsets into the prompt: `[start, end)`. */
  start: number;
  end: number;
  /** Brackets: how many brackets (of both kinds) are open around this one, 0 outermost. */
  depth?: number;
  /** A bracket with no partner: `(` never closed, or `)` that closes nothing. */
  unbalanced?: boolean;
}

export interface BracketProblem {
  /** Where the lone bracket stands. */
  at: number;
  char: string;
  kind: "unclosed" | "unopened";
}

// `(word:1.2)`: the weight's colon and number, only when a `)` follows (as `re_attention` has it).
const WEIGHT = /^:\s*[+-]?[.\d]+\s*(?=\))/;
// `<lora:name:0.8>`, `<hypernet:name:1>`: A1111's extra networks, one line, no nested brackets.
const NETWORK = /^<[\w-]+:[^<>\n]+>/;
const WORD_CHAR = /[\p{L}\p{N}_]/u;

/**
 * The prompt as a list of spans that cover it end to end, in order.
 *
 * @example
 * highlightPrompt("(fox:1.2) BREAK").map((s) => s.kind); // ["paren", "text", "weight", "paren", "text", "break"]
 */
export function highlightPrompt(prompt: string): SyntaxSpan[] {
  const spans: SyntaxSpan[] = [];
  const open: { kind: "paren" | "square"; index: number }[] = [];
  let textStart = 0;

  const push = (span: SyntaxSpan) => {
    if (span.start > textStart) spans.push({ kind: "text", start: textStart, end: span.start });
    spans.push(span);
    textStart = span.end;
  };
  const innermost = (kind: "paren" | "square") => {
    for (let i = open.length - 1; i >= 0; i--) if (open[i]?.kind === kind) return i;
    return -1;
  };

  let i = 0;
  while (i < prompt.length) {
    const char = prompt[i] as string;
    // what a weight or a network can be read from: bounded, so each character costs the same
    const rest = () => prompt.slice(i, i + 200);
    if (char === "\\") {
      const end = Math.min(prompt.length, i + 2);
      push({ kind: "escape", start: i, end });
      i = end;
    } else if (char === "(" || char === "[") {
      const kind = char === "(" ? "paren" : "square";
      open.push({ kind, index: spans.length + (i > textStart ? 1 : 0) });
      push({ kind, start: i, end: i + 1, depth: open.length - 1 });
      i++;
    } else if (char === ")" || char === "]") {
      const kind = char === ")" ? "paren" : "square";
      const at = innermost(kind);
      if (at === -1) {
        push({ kind, start: i, end: i + 1, depth: 0, unbalanced: true });
      } else {
        // only the innermost of its kind closes: A1111 leaves brackets of the other kind open
        const [partner] = open.splice(at, 1);
        const depth = partner === undefined ? 0 : (spans[partner.index]?.depth ?? 0);
        push({ kind, start: i, end: i + 1, depth });
      }
      i++;
    } else if (char === ":" && innermost("paren") !== -1 && WEIGHT.test(rest())) {
      const match = WEIGHT.exec(rest())?.[0] ?? ":";
      push({ kind: "weight", start: i, end: i + match.length });
      i += match.length;
    } else if ((char === ":" || char === "|") && innermost("square") !== -1) {
      push({ kind: "separator", start: i, end: i + 1 });
      i++;
    } else if (char === "<" && NETWORK.test(rest())) {
      const match = NETWORK.exec(rest())?.[0] ?? "<";
      push({ kind: "network", start: i, end: i + match.length });
      i += match.length;
    } else if (isKeyword(prompt, i, "BREAK") || isKeyword(prompt, i, "AND")) {
      const word = prompt.startsWith("BREAK", i) ? "BREAK" : "AND";
      push({ kind: word === "BREAK" ? "break" : "and", start: i, end: i + word.length });
      i += word.length;
    } else {
      i++;
    }
  }
  if (prompt.length > textStart) spans.push({ kind: "text", start: textStart, end: prompt.length });
  for (const { index } of open) {
    const span = spans[index];
    if (span !== undefined) span.unbalanced = true;
  }
  return spans;
}

/** The brackets {@link highlightPrompt} found without a partner, in the order they stand. */
export function bracketProblems(prompt: string, spans = highlightPrompt(prompt)): BracketProblem[] {
  return spans
    .filter((span) => span.unbalanced === true)
    .map((span) => {
      const char = prompt.slice(span.start, span.end);
      return { at: span.start, char, kind: char === "(" || char === "[" ? "unclosed" : "unopened" };
    });
}

/** `BREAK` or `AND` as a word of its own (A1111's `\bBREAK\b`, Unicode-aware). */
function isKeyword(prompt: string, at: number, word: string): boolean {
  if (!prompt.startsWith(word, at)) return false;
  const before = prompt[at - 1];
  const after = prompt[at + word.length];
  return (before === undefined || !WORD_CHAR.test(before)) && (after === undefined || !WORD_CHAR.test(after));
}
