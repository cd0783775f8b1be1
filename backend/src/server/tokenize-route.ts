import {
  DEFAULT_TOKENIZE_GUIDANCE_SCALE,
  DEFAULT_TOKENIZE_STEPS,
  problemFromZod,
  promptTokenizeBodySchema,
  SdgateError,
} from "@sdgate/shared";
import type { Context } from "hono";
import type { PromptCounter } from "../generation/prompt-counter.ts";
import type { BackendEnv } from "./types.ts";

/**
 * `POST /internal/v1/tokenize` (signed): `{ model, prompt, steps?, guidance_scale?, negative? }` → the prompt's chunks as the model's
 * tokenizer lays them out (`PromptTokens`), answered on this thread without queueing behind images.
 */
export function tokenizeHandler(counter: () => PromptCounter | null, notReady: () => SdgateError) {
  return (c: Context<BackendEnv>): Response => {
    const ready = counter();
    if (ready === null) throw notReady();
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(c.var.rawBody));
    } catch {
      throw new SdgateError("invalid_request", "The body is not valid JSON.");
    }
    const parsed = promptTokenizeBodySchema.safeParse(body);
    if (!parsed.success) {
      const problem = problemFromZod(parsed.error);
      throw new SdgateError("invalid_request", problem.message, { param: problem.param });
    }
    const {
      model,
      prompt,
      steps = DEFAULT_TOKENIZE_STEPS,
      guidance_scale: guidanceScale = DEFAULT_TOKENIZE_GUIDANCE_SCALE,
      negative = false,
    } = parsed.data;
    return c.json(ready.count(model, prompt, { steps, guidanceScale, negative }));
  };
}
