import { z } from "zod";
import { MAX_PROMPT_CHARS, refuseDeepNesting } from "./generation-request.ts";

/**
 * A prompt as its model's text encoder reads it (issue 17, the Studio's prompt editors): A1111's
 * emphasis syntax parsed, the text tokenised by the model's own CLIP tokenizer, and the tokens laid
 * into chunks of {@link PROMPT_CHUNK_TOKENS}, a new chunk at each `BREAK`, as the engine does before
 * it encodes a prompt.
 */

/** Tokens per text-encoder chunk: CLIP's 77-token context less its BOS and EOS. */
export const PROMPT_CHUNK_TOKENS = 75;

export const promptTokenizeBodySchema = z.object({
  /** A model id or alias, as a generation request names it. */
  model: z.string().min(1).max(128),
  /** The text to count, prompt or negative prompt: as long and as deeply nested as a generation takes. */
  prompt: z.string().max(MAX_PROMPT_CHARS).check(refuseDeepNesting),
});
export type PromptTokenizeBody = z.infer<typeof promptTokenizeBodySchema>;

export const promptChunkSchema = z.object({
  /** The prompt's tokens in this chunk, at most {@link PROMPT_CHUNK_TOKENS}. */
  tokens: z.number().int().min(0).max(PROMPT_CHUNK_TOKENS),
  /**
   * The part of the prompt whose tokens the chunk holds, as UTF-16 offsets `[start, end)` into the
   * text sent (to the word: a word the 75-token boundary splits belongs to both chunks). Empty
   * (`start === end`) for the chunk of an empty prompt or of an empty part between two BREAKs.
   */
  start: z.number().int().min(0),
  end: z.number().int().min(0),
  /** The chunk lies past the model's limit: a generation refuses the prompt, or cuts it there. */
  over_limit: z.boolean(),
});
export type PromptChunkCount = z.infer<typeof promptChunkSchema>;

export const promptTokensSchema = z.object({
  object: z.literal("prompt.tokens"),
  model: z.string(),
  /** Tokens per chunk ({@link PROMPT_CHUNK_TOKENS}). */
  chunk_tokens: z.number().int().min(1),
  /** The most chunks the model takes from one prompt. */
  max_chunks: z.number().int().min(1),
  /** Every token of the prompt, chunks added up. */
  total_tokens: z.number().int().min(0),
  /** Tokens in the chunks past `max_chunks`. */
  tokens_over_limit: z.number().int().min(0),
  /** At least one: an empty prompt is one empty chunk. */
  chunks: z.array(promptChunkSchema).min(1),
});
export type PromptTokens = z.infer<typeof promptTokensSchema>;

/** The backend's signed endpoint that counts a prompt's tokens with a model's tokenizer. */
export const BACKEND_TOKENIZE_PATH = "/internal/v1/tokenize";
