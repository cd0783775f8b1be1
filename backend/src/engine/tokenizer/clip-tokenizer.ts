import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { applyMerges, parseMerges } from "./bpe.ts";
import { BYTE_TO_UNICODE, toByteChars } from "./bytes-to-unicode.ts";
import { cleanClipText, splitClipWords } from "./clip-text.ts";

export const START_OF_TEXT = "<|startoftext|>";
export const END_OF_TEXT = "<|endoftext|>";
const WORD_END = "</w>";
const UNICODE_TO_BYTE = new Map(BYTE_TO_UNICODE.map((char, byte) => [char, byte]));

export interface ClipTokenizerOptions {
  /** Token that fills the context after EOS: `<|endoftext|>` for SD 1.x (the default), `!` for SD 2.x. */
  padToken?: string;
  /** Context length of the text encoder; 77 for every Stable Diffusion release. */
  maxLength?: number;
}

/**
 * CLIP's byte-level BPE tokenizer, as Stable Diffusion pipelines use it: BOS, at most
 * `maxLength - 2` tokens, EOS, then padding, always exactly `maxLength` ids.
 *
 * @example
 * const tokenizer = await ClipTokenizer.fromDir("models/sd15/tokenizer");
 * tokenizer.encode("An astronaut riding a horse"); // [49406, 550, 18376, 6765, 320, 4558, 49407, 49407, …]
 */
export class ClipTokenizer {
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly vocabSize: number;
  readonly #vocab: ReadonlyMap<string, number>;
  readonly #tokens: ReadonlyMap<number, string>;
  readonly #ranks: ReadonlyMap<string, number>;
  readonly #cache = new Map<string, number[]>();

  private constructor(vocab: Map<string, number>, ranks: Map<string, number>, options: ClipTokenizerOptions) {
    this.#vocab = vocab;
    this.#tokens = new Map([...vocab].map(([token, id]) => [id, token]));
    this.#ranks = ranks;
    this.maxLength = options.maxLength ?? 77;
    this.bosId = idOf(vocab, START_OF_TEXT);
    this.eosId = idOf(vocab, END_OF_TEXT);
    this.padId = idOf(vocab, options.padToken ?? END_OF_TEXT);
    this.vocabSize = vocab.size;
    if (!Number.isInteger(this.maxLength) || this.maxLength < 2) {
      throw new Error(`maxLength must be an integer ≥ 2, got ${this.maxLength}`);
    }
  }

  /** Build from the contents (not paths) of Hugging Face's `vocab.json` and `merges.txt`. */
  static fromFiles(vocabJson: string, mergesTxt: string, options: ClipTokenizerOptions = {}): ClipTokenizer {
    const parsed: unknown = JSON.parse(vocabJson);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Error("vocab.json must be a JSON object of token → id");
    }
    const vocab = new Map<string, number>();
    for (const [token, id] of Object.entries(parsed)) {
      if (typeof id !== "number")
        throw new Error(`vocab.json: id of ${JSON.stringify(token)} is not a number`);
      vocab.set(token, id);
    }
    return new ClipTokenizer(vocab, parseMerges(mergesTxt), options);
  }

  /**
   * Read a Hugging Face tokenizer folder (`vocab.json`, `merges.txt`, and, when present,
   * `tokenizer_config.json` / `special_tokens_map.json` for the pad token and context length). As in
   * transformers' `PreTrainedTokenizerBase._from_pretrained`, `special_tokens_map.json` overrides the
   * special tokens of `tokenizer_config.json`: SD 2.x's tokenizer pads with the `!` it names there.
   */
  static async fromDir(dir: string, options: ClipTokenizerOptions = {}): Promise<ClipTokenizer> {
    const [vocabJson, mergesTxt] = await Promise.all([
      readRequired(join(dir, "vocab.json")),
      readRequired(join(dir, "merges.txt")),
    ]);
    const config = await readJsonIfPresent(join(dir, "tokenizer_config.json"));
    const specialTokens = await readJsonIfPresent(join(dir, "special_tokens_map.json"));
    const padToken = tokenContent(specialTokens.pad_token) ?? tokenContent(config.pad_token);
    const maxLength = config.model_max_length;
    const fromConfig: ClipTokenizerOptions = {};
    if (padToken !== undefined) fromConfig.padToken = padToken;
    if (typeof maxLength === "number" && Number.isInteger(maxLength) && maxLength <= 4096) {
      fromConfig.maxLength = maxLength;
    }
    return ClipTokenizer.fromFiles(vocabJson, mergesTxt, { ...fromConfig, ...options });
  }

  /** The token ids of one prompt: BOS, tokens (truncated), EOS, padding; always `maxLength` long. */
  encode(text: string): number[] {
    const ids = [this.bosId, ...this.tokenize(text).slice(0, this.maxLength - 2), this.eosId];
    while (ids.length < this.maxLength) ids.push(this.padId);
    return ids;
  }

  /** The token ids of a prompt's words, without BOS/EOS or truncation. */
  tokenize(text: string): number[] {
    const ids: number[] = [];
    for (const word of splitClipWords(cleanClipText(text))) ids.push(...this.#wordIds(word));
    return ids;
  }

  /** Text back from ids, as `simple_tokenizer.decode` does it; special tokens are left out. */
  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      if (id === this.bosId || id === this.eosId || id === this.padId) continue;
      const token = this.#tokens.get(id);
      if (token === undefined) throw new RangeError(`token id ${id} is not in the vocabulary`);
      const word = token.endsWith(WORD_END) ? token.slice(0, -WORD_END.length) : token;
      for (const char of word) {
        const byte = UNICODE_TO_BYTE.get(char);
        if (byte !== undefined) bytes.push(byte);
      }
      if (token.endsWith(WORD_END)) bytes.push(0x20);
    }
    return new TextDecoder().decode(Uint8Array.from(bytes)).trim();
  }

  #wordIds(word: string): number[] {
    const cached = this.#cache.get(word);
    if (cached !== undefined) return cached;
    let ids: number[];
    const special = word === START_OF_TEXT || word === END_OF_TEXT ? this.#vocab.get(word) : undefined;
    if (special !== undefined) {
      ids = [special];
    } else {
      const symbols = toByteChars(word);
      symbols[symbols.length - 1] += WORD_END;
      // A piece missing from the vocabulary becomes the unknown token, `<|endoftext|>` in CLIP.
      ids = applyMerges(symbols, this.#ranks).map((piece) => this.#vocab.get(piece) ?? this.eosId);
    }
    if (this.#cache.size < 10_000) this.#cache.set(word, ids);
    return ids;
  }
}

function idOf(vocab: ReadonlyMap<string, number>, token: string): number {
  const id = vocab.get(token);
  if (id === undefined) throw new Error(`vocab.json has no ${JSON.stringify(token)} token`);
  return id;
}

/** Hugging Face writes special tokens either as strings or as `{ content: "…" }` objects. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (
    typeof value === "object" &&
    value !== null &&
    "content" in value &&
    typeof value.content === "string"
  ) {
    return value.content;
  }
  return undefined;
}

async function readRequired(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`tokenizer file missing or unreadable: ${path}`, { cause: error });
  }
}

async function readJsonIfPresent(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return {};
  }
  const parsed: unknown = JSON.parse(text);
  return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
}
