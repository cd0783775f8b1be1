import type { Sdgate } from "@sdgate/sdk";
import type { PromptTokens } from "@sdgate/shared";
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

/**
 * The model's token count of `prompt`, asked of the edge (`client.prompts.tokenize`) once typing
 * pauses; a newer text aborts the call for an older one, so a slow answer never overwrites a newer.
 *
 * @example
 * const count = useTokenCount(client, draft.model, draft.prompt);
 */
export function useTokenCount(client: Sdgate | null, model: string, prompt: string): TokenCount {
  const [count, setCount] = useState<TokenCount>({ counted: null, error: null, pending: false });
  useEffect(() => {
    if (client === null || model === "") return;
    setCount((before) => ({ ...before, pending: true }));
    const controller = new AbortController();
    const timer = setTimeout(() => {
      client.prompts.tokenize({ model, prompt }, { signal: controller.signal }).then(
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
  }, [client, model, prompt]);
  return count;
}
