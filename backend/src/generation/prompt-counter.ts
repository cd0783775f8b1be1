import { join } from "node:path";
import { PROMPT_CHUNK_TOKENS, type PromptTokens, SdgateError } from "@sdgate/shared";
import { isInvalidArgumentError } from "../engine/errors.ts";
import { runsGuidance } from "../engine/pipelines/runs-guidance.ts";
import type { ChunkTokenizer } from "../engine/prompt/chunk-tokens.ts";
import { type CountedChunk, countPromptTokens } from "../engine/prompt/count-tokens.ts";
import { PromptWeightError } from "../engine/prompt/parse-attention.ts";
import { type PromptReading, promptReadings } from "../engine/prompt/prompt-readings.ts";
import { ClipTokenizer } from "../engine/tokenizer/clip-tokenizer.ts";
import type { ModelInfo } from "./engine.ts";

/**
 * How the text is read: over how many steps (prompt editing switches at steps), with what guidance
 * (without it `AND` is text), and as a negative prompt or not.
 */
export interface PromptReadingOptions {
  steps: number;
  guidanceScale: number;
  negative: boolean;
}

interface CountingModel {
  tokenizer: ChunkTokenizer;
  maxChunks: number;
  embedsGuidance: boolean;
}

/**
 * Counts prompts' tokens for the Studio's editors with each served model's own tokenizer, on the HTTP
 * thread: counting is a few hundred microseconds of BPE, and the engine thread may be busy for
 * seconds with a generation. SDXL's second tokenizer shares the first's vocabulary, so the first's
 * count is the model's.
 *
 * @example
 * const counter = await PromptCounter.load({ tiny: "/models/tiny" }, engine.models);
 * counter.count("tiny", "a (fox:1.2) BREAK snow", { steps: 20, guidanceScale: 7, negative: false }); // { object: "prompt.tokens", chunks: [{ tokens: 2, … }, …], … }
 */
export class PromptCounter {
  readonly #models: ReadonlyMap<string, CountingModel>;

  constructor(models: ReadonlyMap<string, CountingModel>) {
    this.#models = models;
  }

  /**
   * The tokenizer of each model folder (`tokenizer/`; a refiner's `tokenizer_2/`), with the chunk
   * limit its engine reported.
   */
  static async load(
    folders: Readonly<Record<string, string>>,
    infos: readonly ModelInfo[],
  ): Promise<PromptCounter> {
    const models = new Map<string, CountingModel>();
    for (const info of infos) {
      const folder = folders[info.id];
      if (folder === undefined) continue;
      // SDXL's refiner has only the second encoder's tokenizer (the same vocabulary)
      const tokenizerFolder = info.family === "sdxl-refiner" ? "tokenizer_2" : "tokenizer";
      const tokenizer = await ClipTokenizer.fromDir(join(folder, tokenizerFolder));
      models.set(info.id, {
        tokenizer,
        maxChunks: info.maxPromptChunks,
        embedsGuidance: info.embedsGuidance,
      });
    }
    return new PromptCounter(models);
  }

  /**
   * The wire answer for `model`'s reading of `prompt`, over `reading.steps` steps, split at `AND` as a
   * generation with `reading.guidanceScale` splits it (not a negative prompt, nor without guidance). A
   * model this backend does not serve is `model_not_found`; a `(text:weight)` whose weight is no
   * number, or more `AND` sub-prompts than the engine takes, is `invalid_request` on `prompt`, as a
   * generation would refuse it.
   */
  count(model: string, prompt: string, reading: PromptReadingOptions): PromptTokens {
    const counting = this.#models.get(model);
    if (counting === undefined) {
      throw new SdgateError("model_not_found", `Model '${model}' is not served by this backend.`, {
        param: "model",
      });
    }
    let chunks: ReturnType<typeof countPromptTokens>;
    try {
      const composable = !reading.negative && runsGuidance(counting, reading.guidanceScale);
      chunks = countAsEncoded(prompt, counting.tokenizer, reading.steps, composable);
    } catch (error) {
      if (isInvalidArgumentError(error))
        throw new SdgateError("invalid_request", error.message, { param: error.param });
      if (!(error instanceof PromptWeightError)) throw error;
      throw new SdgateError("invalid_request", `The weight (…:${error.weight}) is not a number.`, {
        param: "prompt",
      });
    }
    const { maxChunks } = counting;
    return {
      object: "prompt.tokens",
      model,
      chunk_tokens: PROMPT_CHUNK_TOKENS,
      max_chunks: maxChunks,
      total_tokens: chunks.reduce((sum, chunk) => sum + chunk.tokens, 0),
      tokens_over_limit: chunks.slice(maxChunks).reduce((sum, chunk) => sum + chunk.tokens, 0),
      chunks: chunks.map((chunk, i) => ({ ...chunk, over_limit: i >= maxChunks })),
    };
  }
}

/**
 * The chunks of the longest text the engine encodes for `prompt` (see {@link promptReadings}: tags
 * out, `AND` sub-prompts, each step's prompt editing and alternation), as A1111's token counter
 * reports the longest of `get_learned_conditioning_prompt_schedules`' prompts; each chunk's `start`
 * and `end` point back into the prompt as written.
 */
function countAsEncoded(
  prompt: string,
  tokenizer: ChunkTokenizer,
  steps: number,
  composable: boolean,
): ReturnType<typeof countPromptTokens> {
  let longest: { reading: PromptReading; chunks: CountedChunk[]; tokens: number } | null = null;
  for (const text of promptReadings(prompt, steps, { composable })) {
    const chunks = countPromptTokens(text.text, tokenizer);
    const tokens = chunks.reduce((sum, chunk) => sum + chunk.tokens, 0);
    if (longest === null || tokens > longest.tokens) longest = { reading: text, chunks, tokens };
  }
  if (longest === null) throw new Error("a prompt has at least one reading");
  const { sources } = longest.reading;
  const written = (index: number) => sources[index] ?? prompt.length;
  return longest.chunks.map((chunk) => ({
    ...chunk,
    start: written(chunk.start),
    // the end is exclusive: one past the written place of the chunk's last character
    end: chunk.end === chunk.start ? written(chunk.start) : written(chunk.end - 1) + 1,
  }));
}
