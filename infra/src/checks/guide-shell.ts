/** One simple command of a guide's shell block, as a shell would split it (quotes kept together). */
export interface GuideCommand {
  /** The command's words, quotes removed. */
  words: string[];
  /** Variables it expands (`$NAME`, `${NAME}`), outside single quotes. */
  expands: string[];
  /** Files it reads with `<`, and files it writes with `>` or `>>`. */
  reads: string[];
  writes: string[];
  /** The source line, for messages. */
  line: string;
}

/** The bodies of a Markdown document's ```sh blocks, in order. */
export function shellBlocks(markdown: string): string[] {
  // A block in a list item is indented like the item's text; its commands are not.
  return [...markdown.matchAll(/^( *)```(?:sh|bash|shell)\n([\s\S]*?)^\1```/gm)].map((m) => {
    const indent = m[1] ?? "";
    return (m[2] ?? "")
      .split("\n")
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
      .join("\n");
  });
}

/** A block's logical lines: continuations joined, heredoc bodies dropped (they are data, not commands). */
function logicalLines(block: string): string[] {
  const lines: string[] = [];
  let heredocEnd: string | null = null;
  let pending = "";
  for (const raw of block.split("\n")) {
    if (heredocEnd !== null) {
      if (raw.trim() === heredocEnd) heredocEnd = null;
      continue;
    }
    if (raw.endsWith("\\")) {
      pending += `${raw.slice(0, -1)} `;
      continue;
    }
    const line = pending + raw;
    pending = "";
    heredocEnd = /<<-?\s*'?"?(\w+)'?"?/.exec(line)?.[1] ?? null;
    if (line.trim() !== "") lines.push(line);
  }
  return lines;
}

interface Token {
  text: string;
  /** An operator (`&&`, `|`, `<`, `>`…) rather than a word. */
  operator: boolean;
}

/** Splits a line into words and operators, keeping quotes together and stopping at a comment. */
function tokenize(line: string, expands: string[]): Token[] {
  const tokens: Token[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  const flush = () => {
    if (inWord) tokens.push({ text: word, operator: false });
    word = "";
    inWord = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote !== null) {
      if (c === quote) quote = null;
      else {
        if (c === "$" && quote === '"') readVariable(line, i, expands);
        word += c;
      }
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "#" && !inWord) break;
    else if (/\s/.test(c)) flush();
    else if ("&|;<>".includes(c)) {
      flush();
      const two = line.slice(i, i + 2);
      const op = ["&&", "||", ">>", "<<"].includes(two) ? two : c;
      tokens.push({ text: op, operator: true });
      i += op.length - 1;
    } else {
      if (c === "$") readVariable(line, i, expands);
      word += c;
      inWord = true;
    }
  }
  flush();
  return tokens;
}

function readVariable(line: string, at: number, expands: string[]): void {
  const name = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(line.slice(at))?.[1];
  if (name !== undefined) expands.push(name);
}

/** Each `$(…)` inside a line, as a line of its own (one level: the guide nests none). */
function substitutions(line: string): string[] {
  return [...line.matchAll(/\$\(([^()]*)\)/g)].map((m) => m[1] ?? "");
}

/** The simple commands of a block, in order, `$(…)` substitutions before the command that uses them. */
export function guideCommands(block: string): GuideCommand[] {
  const commands: GuideCommand[] = [];
  for (const written of logicalLines(block)) {
    // `~/.cloudflared/<tunnel id>.json`: a placeholder inside a word, not a redirection.
    const line = written.replace(/(?<=\S)<[^<>]+>/g, "PLACEHOLDER");
    for (const inner of substitutions(line)) commands.push(...splitCommands(inner, line));
    commands.push(...splitCommands(line.replace(/\$\(([^()]*)\)/g, "SUBSTITUTED"), line));
  }
  return commands;
}

function splitCommands(text: string, line: string): GuideCommand[] {
  const expands: string[] = [];
  const tokens = tokenize(text, expands);
  const commands: GuideCommand[] = [];
  let current: GuideCommand = { words: [], expands, reads: [], writes: [], line };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (!token.operator) {
      current.words.push(token.text);
      continue;
    }
    const target = tokens[i + 1]?.text ?? "";
    if (token.text === "<") current.reads.push(target);
    if (token.text === ">" || token.text === ">>") current.writes.push(target);
    if (["<", ">", ">>", "<<"].includes(token.text)) {
      i++;
      continue;
    }
    if (current.words.length > 0) commands.push(current);
    current = { words: [], expands: [], reads: [], writes: [], line };
  }
  if (current.words.length > 0) commands.push(current);
  return commands;
}

/** The command a line runs: its first word after any `NAME=value` assignments. */
export function commandName(command: GuideCommand): { name: string; rest: string[] } {
  const index = command.words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  if (index === -1) return { name: "", rest: [] };
  return { name: command.words[index] as string, rest: command.words.slice(index + 1) };
}

/** The variables a command sets for what follows: `NAME=value` alone, or `export NAME=value`. */
export function assignments(command: GuideCommand): string[] {
  const { name, rest } = commandName(command);
  const words = name === "" ? command.words : name === "export" ? rest : [];
  return words.flatMap((w) => /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(w)?.[1] ?? []);
}
