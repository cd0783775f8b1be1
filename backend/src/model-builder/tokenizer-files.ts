import { mergesTxt, type TrainedBpe, trainClipBpe, vocabJson } from "./bpe-trainer.ts";
import { PROMPT_CORPUS } from "./corpus.ts";
import { json } from "./model-folder.ts";

let trained: TrainedBpe | undefined;

/** The tiny models' BPE, learnt once per process from the prompt corpus (it is deterministic). */
function tinyBpe(vocabSize: number): TrainedBpe {
  if (trained === undefined || trained.vocab.size !== vocabSize) {
    trained = trainClipBpe(PROMPT_CORPUS, vocabSize);
    if (trained.vocab.size !== vocabSize)
      throw new Error(`tiny tokenizer has ${trained.vocab.size} tokens, expected ${vocabSize}`);
  }
  return trained;
}

/**
 * A CLIPTokenizer folder's four files as transformers writes them, under `folder` (`tokenizer` or
 * `tokenizer_2`); `padToken` is end-of-text for SD 1.x, `!` for SD 2.x and SDXL's second tokenizer.
 */
export function tinyTokenizerFiles(
  folder: string,
  vocabSize: number,
  contextLength: number,
  padToken: string,
): Record<string, string> {
  const { vocab, merges } = tinyBpe(vocabSize);
  return {
    [`${folder}/merges.txt`]: mergesTxt(merges),
    ...clipTokenizerConfigFiles(folder, contextLength, padToken),
    [`${folder}/vocab.json`]: vocabJson(vocab),
  };
}

/** A CLIPTokenizer folder's `special_tokens_map.json` and `tokenizer_config.json`. */
export function clipTokenizerConfigFiles(
  folder: string,
  contextLength: number,
  padToken: string,
): Record<string, string> {
  const special = {
    bos_token: "<|startoftext|>",
    eos_token: "<|endoftext|>",
    pad_token: padToken,
    unk_token: "<|endoftext|>",
  };
  return {
    [`${folder}/special_tokens_map.json`]: json(special),
    [`${folder}/tokenizer_config.json`]: json({
      ...special,
      add_prefix_space: false,
      do_lower_case: true,
      errors: "replace",
      model_max_length: contextLength,
      tokenizer_class: "CLIPTokenizer",
    }),
  };
}
