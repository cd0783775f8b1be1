import { MAX_PROMPT_NESTING, promptNestingDepth } from "@sdgate/shared";

/** A prompt whose `(` and `[` nest deeper than the contract's `MAX_PROMPT_NESTING`. */
export class PromptNestingError extends Error {
  override readonly name = "PromptNestingError";
  readonly depth: number;

  constructor(depth: number) {
    super(`the prompt nests ( and [ ${depth} deep, more than the ${MAX_PROMPT_NESTING} allowed`);
    this.depth = depth;
  }
}

export function isPromptNestingError(error: unknown): error is PromptNestingError {
  return error instanceof PromptNestingError;
}

/**
 * Throws {@link PromptNestingError} for a prompt the contract refuses. The prompt parsers call it
 * first, so that a caller that skipped the contract's check still cannot make them recurse, or
 * multiply weights, once per bracket of a 4,000-bracket prompt.
 */
export function checkPromptNesting(prompt: string): void {
  const depth = promptNestingDepth(prompt);
  if (depth > MAX_PROMPT_NESTING) throw new PromptNestingError(depth);
}
