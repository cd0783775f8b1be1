import { join } from "node:path";
import { LORA_TAG, PROMPT_CHUNK_TOKENS, type PromptTokens, SdgateError } from "@sdgate/shared";
import type { ChunkTokenizer } from "../engine/prompt/chunk-tokens.ts";
import { countPromptTokens } from "../engine/prompt/count-tokens.ts";
import { PromptWeightError } from "../engine/prompt/parse-attention.ts";
import { ClipTokenizer } from "../engine/tokenizer/clip-tokenizer.ts";
import type { ModelInfo } from "./engine.ts";

interface CountingModel {
  tokenizer: ChunkTokenizer;
  maxChunks: number;
}

/**
 * Counts prompts' tokens for the Studio's editors with each served model's own tokenizer, on the HTTP
 * thread: counting is a few hundred microseconds of BPE, and the engine thread may be busy for
 * seconds with a generation. SDXL's second tokenizer shares the first's vocabulary, so the first's
 * count is the model's.
 *
 * @example
 * const counter = await PromptCounter.load({ tiny: "/models/tiny" }, engine.models);
 * counter.count("tiny", "a (fox:1.2) BREAK snow"); // { object: "prompt.tokens", chunks: [{ tokens: 2, … }, …], … }
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
      models.set(info.id, { tokenizer, maxChunks: info.maxPromptChunks });
    }
    return new PromptCounter(models);
  }

  /**
   * The wire answer for `model`'s reading of `prompt`. A model this backend does not serve is
   * `model_not_found`; a `(text:weight)` whose weight is no number is `invalid_request` on `prompt`,
   * as a generation would refuse it.
   */
  count(model: string, prompt: string): PromptTokens {
    const counting = this.#models.get(model);
    if (counting === undefined) {
      throw new SdgateError("model_not_found", `Model '${model}' is not served by this backend.`, {
        param: "model",
      });
    }
    let chunks: ReturnType<typeof countPromptTokens>;
    try {
      chunks = countWithoutLoraTags(prompt, counting.tokenizer);
    } catch (error) {
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
 * `<lora:…>` tags are not encoded (see encodeConditioningSchedule), so they take no tokens: the prompt
 * is counted without them, and each chunk's `start` and `end` point back into the prompt as written.
 */
function countWithoutLoraTags(
  prompt: string,
  tokenizer: ChunkTokenizer,
): ReturnType<typeof countPromptTokens> {
  const kept: number[] = [];
  let text = "";
  let from = 0;
  for (const tag of prompt.matchAll(LORA_TAG)) {
    for (let i = from; i < tag.index; i++) kept.push(i);
    text += prompt.slice(from, tag.index);
    from = tag.index + tag[0].length;
  }
  for (let i = from; i < prompt.length; i++) kept.push(i);
  text += prompt.slice(from);
  kept.push(prompt.length);
  const original = (index: number) => kept[index] ?? prompt.length;
  return countPromptTokens(text, tokenizer).map((chunk) => ({
    ...chunk,
    start: original(chunk.start),
    // the end is exclusive: one past the original of the chunk's last character
    end: chunk.end === chunk.start ? original(chunk.start) : original(chunk.end - 1) + 1,
  }));
}
