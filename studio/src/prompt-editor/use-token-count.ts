import type { Sdgate } from "@sdgate/sdk";
import type { PromptTokens } from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";
import { type TokenReading, tokenizeFields } from "./token-reading.ts";

export type { TokenReading } from "./token-reading.ts";

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
 * The model's token count of `prompt` as the engine will read it (the API's: tags out, the longest
 * `AND` sub-prompt, split as the form's guidance splits it, and prompt-editing step), asked of the
 * edge (`client.prompts.tokenize`) once typing pauses; a newer text aborts the call for an older one, so a slow answer never overwrites a newer.
 *
 * @example
 * const count = useTokenCount(client, draft.model, draft.prompt, { steps: draft.steps, guidanceScale: draft.guidance_scale, negative: false });
 */
export function useTokenCount(
  client: Sdgate | null,
  model: string,
  prompt: string,
  reading: TokenReading,
): TokenCount {
  // a half-typed steps or guidance field still counts: with the nearest values the API reads
  const { steps, guidance_scale, negative } = tokenizeFields(reading);
  const [count, setCount] = useState<TokenCount>({ counted: null, error: null, pending: false });
  useEffect(() => {
    if (client === null || model === "") return;
    setCount((before) => ({ ...before, pending: true }));
    const controller = new AbortController();
    const timer = setTimeout(() => {
      client.prompts
        .tokenize(
          { model, prompt, steps, negative, ...(guidance_scale === undefined ? {} : { guidance_scale }) },
          { signal: controller.signal },
        )
        .then(
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
  }, [client, model, prompt, steps, guidance_scale, negative]);
  return count;
}
