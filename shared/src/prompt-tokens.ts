import { z } from "zod";
import { guidanceScaleSchema, MAX_PROMPT_CHARS, refuseDeepNesting } from "./generation-request.ts";

/**
 * A prompt as its model's text encoder reads it (issue 17, the Studio's prompt editors): `<lora:…>`
 * tags taken out, split at `AND` into sub-prompts (not a negative prompt, nor without guidance), each read at every step of
 * its prompt editing and alternation; of those texts, the longest as the engine encodes it (A1111's
 * emphasis syntax parsed, tokenised by the model's own CLIP tokenizer, laid into chunks of
 * {@link PROMPT_CHUNK_TOKENS}, a new chunk at each `BREAK`), as A1111's token counter reports it.
 */

/** Tokens per text-encoder chunk: CLIP's 77-token context less its BOS and EOS. */
export const PROMPT_CHUNK_TOKENS = 75;

/** The most steps a count reads a prompt's editing over: A1111's slider's, and a model's unless it says. */
export const MAX_TOKENIZE_STEPS = 150;
/** The steps a backend reads a prompt over when it is not told (A1111's default); the edge tells it the model's. */
export const DEFAULT_TOKENIZE_STEPS = 20;
/** The guidance a backend reads a prompt with when it is not told (A1111's default); the edge tells it the model's. */
export const DEFAULT_TOKENIZE_GUIDANCE_SCALE = 7;

export const promptTokenizeBodySchema = z.object({
  /** A model id or alias, as a generation request names it. */
  model: z.string().min(1).max(128),
  /** The text to count, prompt or negative prompt: as long and as deeply nested as a generation takes. */
  prompt: z.string().max(MAX_PROMPT_CHARS).check(refuseDeepNesting),
  /**
   * The steps the generation will take, as prompt editing (`[from:to:when]`) and alternation (`[a|b]`)
   * change the text at steps; absent: the model's default steps.
   */
  steps: z
    .number("must be a whole number of steps")
    .int("must be a whole number of steps")
    .min(1, "must be at least 1")
    .max(MAX_TOKENIZE_STEPS, `must be at most ${MAX_TOKENIZE_STEPS}`)
    .optional(),
  /**
   * The guidance the generation will use: without it (at most 1, or a model that embeds the scale, as
   * LCM does) the engine reads `AND` as plain text. Absent: the model's default guidance.
   */
  guidance_scale: guidanceScaleSchema.optional(),
  /** The text is a negative prompt, which the engine does not split at `AND`; absent: false. */
  negative: z.boolean("must be true or false").optional(),
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
  /** Every token of the prompt (of its longest reading: sub-prompt, step), chunks added up. */
  total_tokens: z.number().int().min(0),
  /** Tokens in the chunks past `max_chunks`. */
  tokens_over_limit: z.number().int().min(0),
  /**
   * At least one: an empty prompt is one empty chunk. Those of the longest text the engine encodes for
   * the prompt, their `start` and `end` in the prompt as written.
   */
  chunks: z.array(promptChunkSchema).min(1),
});
export type PromptTokens = z.infer<typeof promptTokensSchema>;

/** The backend's signed endpoint that counts a prompt's tokens with a model's tokenizer. */
export const BACKEND_TOKENIZE_PATH = "/internal/v1/tokenize";
