/**
 * A1111's prompt editing and alternation, ported from `get_learned_conditioning_prompt_schedules` in
 * AUTOMATIC1111/stable-diffusion-webui `modules/prompt_parser.py` (its lark grammar, read here by a
 * recursive descent that takes the same constructs):
 *
 * - `[from:to:when]` uses `from` up to step `when`, then `to`; `[to:when]` adds `to` after `when`;
 *   `[from::when]` drops `from` after it. `when` with a `.` is a fraction of the steps (`0.5`), without
 *   one a step number (`10`).
 * - `[a|b|c]` alternates every step: a, b, c, a, ….
 *
 * Everything else (emphasis, escapes, unbalanced brackets) is kept as written, for the emphasis parser
 * that runs on each scheduled prompt afterwards. A prompt the grammar cannot take (a `|` outside any
 * alternation, say) is used whole at every step, as A1111 does when lark raises.
 */
import { checkPromptNesting } from "./prompt-nesting.ts";

/** A prompt used for the steps up to `endAtStep` (A1111's `[end_at_step, prompt]`). */
export interface ScheduledPrompt {
  endAtStep: number;
  prompt: string;
}

/** A run of the prompt as written, `text` starting at offset `at`: what a scheduled prompt is made of. */
export interface PromptPiece {
  text: string;
  at: number;
}

/** A scheduled prompt as the pieces of the written prompt it is made of, in order. */
export interface ScheduledPieces {
  endAtStep: number;
  pieces: PromptPiece[];
}

type Node =
  | { kind: "text"; text: string; at: number }
  | { kind: "group"; open: PromptPiece; parts: Node[][]; separators: PromptPiece[]; close: PromptPiece }
  | { kind: "scheduled"; before: Node[] | null; after: Node[]; when: string }
  | { kind: "alternate"; options: Node[][] };

/**
 * The prompts to use and up to which step, for `steps` steps. A prompt nested deeper than the
 * contract's `MAX_PROMPT_NESTING` throws `PromptNestingError`.
 *
 * @example
 * promptSchedule("a [b:c:0.5] d", 10) // [{ endAtStep: 5, prompt: "a b d" }, { endAtStep: 10, prompt: "a c d" }]
 */
export function promptSchedule(prompt: string, steps: number): ScheduledPrompt[] {
  return promptSchedulePieces(prompt, steps).map(({ endAtStep, pieces }) => ({
    endAtStep,
    prompt: pieces.map((piece) => piece.text).join(""),
  }));
}

/**
 * {@link promptSchedule} with each prompt as the pieces of `prompt` it is made of, so that a place in
 * a scheduled prompt can be found in the prompt as written (the Studio's token counter).
 *
 * @example
 * promptSchedulePieces("a [b:c:0.5]", 10)[1]?.pieces // [{ text: "a ", at: 0 }, { text: "c", at: 5 }]
 */
export function promptSchedulePieces(prompt: string, steps: number): ScheduledPieces[] {
  const tree = parsePrompt(prompt);
  if (tree === null) return [{ endAtStep: steps, pieces: [{ text: prompt, at: 0 }] }];
  const ends = new Set([steps]);
  collectSteps(tree, steps, ends);
  return [...ends]
    .sort((a, b) => a - b)
    .map((step) => {
      const pieces: PromptPiece[] = [];
      render(tree, step, steps, pieces);
      return { endAtStep: step, pieces };
    });
}

/** Whether `prompt` uses editing or alternation at all (then it is encoded more than once). */
export function isScheduled(prompt: string, steps: number): boolean {
  return promptSchedule(prompt, steps).length > 1;
}

/** A1111's `collect_steps`: every step at which some part of the prompt changes. */
function collectSteps(nodes: readonly Node[], steps: number, ends: Set<number>): void {
  for (const node of nodes) {
    if (node.kind === "scheduled") {
      const end = whenStep(node.when, steps);
      if (end >= 1) ends.add(end);
      if (node.before !== null) collectSteps(node.before, steps, ends);
      collectSteps(node.after, steps, ends);
    } else if (node.kind === "alternate") {
      for (let step = 1; step <= steps; step++) ends.add(step);
      for (const option of node.options) collectSteps(option, steps, ends);
    } else if (node.kind === "group") {
      for (const part of node.parts) collectSteps(part, steps, ends);
    }
  }
}

/** `min(steps, int(v))`, `v` a fraction of the steps when written with a `.`. */
function whenStep(when: string, steps: number): number {
  const value = Number(when);
  return Math.min(steps, Math.trunc(when.includes(".") ? value * steps : value));
}

/** A1111's `at_step`: the prompt as it reads at `step`, as pieces of the prompt appended to `out`. */
function render(nodes: readonly Node[], step: number, steps: number, out: PromptPiece[]): void {
  for (const node of nodes) {
    if (node.kind === "text") out.push({ text: node.text, at: node.at });
    else if (node.kind === "group") {
      out.push(node.open);
      for (const [i, part] of node.parts.entries()) {
        const separator = node.separators[i - 1];
        if (separator !== undefined) out.push(separator);
        render(part, step, steps, out);
      }
      out.push(node.close);
    } else if (node.kind === "scheduled") {
      const chosen = step <= whenStep(node.when, steps) ? node.before : node.after;
      if (chosen !== null) render(chosen, step, steps, out);
    } else render(node.options[(step - 1) % node.options.length] as Node[], step, steps, out);
  }
}

// Sticky: each is matched at `lastIndex` only, so scanning a number costs its own length.
const WHITESPACE = /\s*/y;
const SIGNED_NUMBER = /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;

interface Parsed {
  nodes: Node[];
  end: number;
}

/**
 * The grammar's `start`: prompts, with stray `[`, `]`, `(`, `)` and `:` kept as text; null when a
 * character fits nowhere (a `|` outside an alternation).
 *
 * A construct that fails makes every construct around it fail too, and the text is read again from
 * just after the outermost one's bracket. The parser keeps its reading of `prompt` from each start, so
 * no text is read twice and the whole is linear in the prompt's length; it recurses as deep as the
 * brackets nest, which `checkPromptNesting` keeps within the contract's limit.
 */
function parsePrompt(prompt: string): Node[] | null {
  checkPromptNesting(prompt);
  const parser = new Parser(prompt);
  const nodes: Node[] = [];
  let position = 0;
  while (position < prompt.length) {
    const parsed = parser.sequence(position);
    nodes.push(...parsed.nodes);
    position = parsed.end;
    if (position >= prompt.length) break;
    const char = prompt[position] as string;
    if (!"[]():".includes(char)) return null;
    nodes.push({ kind: "text", text: char, at: position });
    position += 1;
  }
  return nodes;
}

class Parser {
  readonly #text: string;
  readonly #sequences = new Map<number, Parsed>();

  constructor(text: string) {
    this.#text = text;
  }

  /** The grammar's `prompt` from `start`: text, escapes and bracketed constructs, up to a character it cannot take. */
  sequence(start: number): Parsed {
    const known = this.#sequences.get(start);
    if (known !== undefined) return known;
    const text = this.#text;
    const nodes: Node[] = [];
    let position = start;
    let plain = "";
    let plainAt = start;
    const flush = () => {
      if (plain !== "") nodes.push({ kind: "text", text: plain, at: plainAt });
      plain = "";
    };
    while (position < text.length) {
      const char = text[position] as string;
      if (char === "\\") {
        // an escape keeps its backslash: the emphasis parser reads it next
        plain += text.slice(position, position + 2);
        position += 2;
      } else if (char === "(" || char === "[") {
        const construct = char === "(" ? this.#round(position) : this.#square(position);
        if (construct === null) break;
        flush();
        nodes.push(construct.node);
        position = construct.end;
        plainAt = position;
      } else if ("]):|".includes(char)) {
        break;
      } else {
        plain += char;
        position += 1;
      }
    }
    flush();
    const parsed = { nodes, end: position };
    this.#sequences.set(start, parsed);
    return parsed;
  }

  /** `(` prompt `)` or `(` prompt `:` prompt `)`, kept as written. */
  #round(start: number): { node: Node; end: number } | null {
    const text = this.#text;
    const first = this.sequence(start + 1);
    const open = { text: "(", at: start };
    if (text[first.end] === ")")
      return {
        node: {
          kind: "group",
          open,
          parts: [first.nodes],
          separators: [],
          close: { text: ")", at: first.end },
        },
        end: first.end + 1,
      };
    if (text[first.end] !== ":") return null;
    const second = this.sequence(first.end + 1);
    if (text[second.end] !== ")") return null;
    return {
      node: {
        kind: "group",
        open,
        parts: [first.nodes, second.nodes],
        separators: [{ text: ":", at: first.end }],
        close: { text: ")", at: second.end },
      },
      end: second.end + 1,
    };
  }

  /** `[from:to:when]`, `[to:when]`, `[a|b…]` or `[` prompt `]`. */
  #square(start: number): { node: Node; end: number } | null {
    const text = this.#text;
    const first = this.sequence(start + 1);
    const next = text[first.end];
    if (next === "]")
      return {
        node: {
          kind: "group",
          open: { text: "[", at: start },
          parts: [first.nodes],
          separators: [],
          close: { text: "]", at: first.end },
        },
        end: first.end + 1,
      };
    if (next === "|") {
      const options = [first.nodes];
      let end = first.end;
      while (text[end] === "|") {
        const option = this.sequence(end + 1);
        options.push(option.nodes);
        end = option.end;
      }
      return text[end] === "]" ? { node: { kind: "alternate", options }, end: end + 1 } : null;
    }
    if (next !== ":") return null;
    // `[to:when]`: what follows the colon is the number
    const when = scheduleNumber(text, first.end + 1);
    if (when !== null)
      return {
        node: { kind: "scheduled", before: null, after: first.nodes, when: when.value },
        end: when.end,
      };
    // `[from:to:when]`
    const second = this.sequence(first.end + 1);
    if (text[second.end] !== ":") return null;
    const number = scheduleNumber(text, second.end + 1);
    if (number === null) return null;
    return {
      node: { kind: "scheduled", before: first.nodes, after: second.nodes, when: number.value },
      end: number.end,
    };
  }
}

/** `[WHITESPACE] NUMBER [WHITESPACE] "]"` from `start`: the number as written, and the end past `]`. */
function scheduleNumber(text: string, start: number): { value: string; end: number } | null {
  const numberStart = matchEnd(WHITESPACE, text, start);
  const numberEnd = numberStart === null ? null : matchEnd(SIGNED_NUMBER, text, numberStart);
  if (numberStart === null || numberEnd === null) return null;
  const close = matchEnd(WHITESPACE, text, numberEnd);
  if (close === null || text[close] !== "]") return null;
  return { value: text.slice(numberStart, numberEnd), end: close + 1 };
}

/** Where a match of the sticky `pattern` at `index` ends; null when there is none. */
function matchEnd(pattern: RegExp, text: string, index: number): number | null {
  pattern.lastIndex = index;
  return pattern.test(text) ? pattern.lastIndex : null;
}
