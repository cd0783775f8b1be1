import type { Sdgate } from "@sdgate/sdk";
import { MAX_TOKENIZE_STEPS, type PromptTokens } from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";

/** Typing pauses this long before a count is asked for: one call per pause, not per key. */
export const COUNT_DEBOUNCE_MS = 300;

export interface TokenCount {
  /** The latest count that came back, and the text it was made for (the editor may have moved on). */
  counted: { prompt: string; model: string; tokens: PromptTokens } | null;
  /** Why the latest count could not be made (a weight that is no number, no backend), or `null`. */
  error: string | null;
  pending: boolean;
}

/** How the engine will read the text: over how many steps (prompt editing switches at steps), and whether it is a negative prompt (not split at `AND`). */
export interface TokenReading {
  steps: number;
  negative: boolean;
}

/**
 * The model's token count of `prompt` as the engine will read it (the API's: tags out, the longest
 * `AND` sub-prompt and prompt-editing step), asked of the edge (`client.prompts.tokenize`) once typing
 * pauses; a newer text aborts the call for an older one, so a slow answer never overwrites a newer.
 *
 * @example
 * const count = useTokenCount(client, draft.model, draft.prompt, { steps: draft.steps, negative: false });
 */
export function useTokenCount(
  client: Sdgate | null,
  model: string,
  prompt: string,
  reading: TokenReading,
): TokenCount {
  const { negative } = reading;
  // a half-typed steps field still counts: over the nearest steps the API reads
  const steps = Math.min(Math.max(Math.round(reading.steps) || 1, 1), MAX_TOKENIZE_STEPS);
  const [count, setCount] = useState<TokenCount>({ counted: null, error: null, pending: false });
  useEffect(() => {
    if (client === null || model === "") return;
    setCount((before) => ({ ...before, pending: true }));
    const controller = new AbortController();
    const timer = setTimeout(() => {
      client.prompts.tokenize({ model, prompt, steps, negative }, { signal: controller.signal }).then(
        (tokens) => setCount({ counted: { prompt, model, tokens }, error: null, pending: false }),
        (error: unknown) => {
          if (controller.signal.aborted) return;
          const message = error instanceof Error ? error.message : String(error);
          setCount((before) => ({ ...before, error: message, pending: false }));
        },
      );
    }, COUNT_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [client, model, prompt, steps, negative]);
  return count;
}
