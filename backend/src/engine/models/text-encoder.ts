import { Tensor } from "onnxruntime-node";
import { InvalidArgumentError, ModelLoadError } from "../errors.ts";
import { type AdapterSlot, adapterSlots, slotFeeds } from "../lora/adapter-slots.ts";
import { readSmallInitializers } from "./onnx-initializers.ts";
import {
  findInput,
  findOutputName,
  type LoadedSession,
  outputData,
  type TensorMetadata,
} from "./onnx-session.ts";

export interface TextEncoderNeeds {
  /** SDXL conditions on the penultimate layer (`hidden_states[-2]`) instead of `last_hidden_state`. */
  penultimate: boolean;
  /** SDXL's second encoder also gives the pooled, projected `text_embeds`. */
  pooled: boolean;
  /**
   * The model file's absolute path, where clip skip reads the final LayerNorm's weights (and
   * `layerNormEps`, CLIP's `layer_norm_eps`, default 1e-5); without it clip skip is not offered.
   */
  modelPath?: string;
  layerNormEps?: number;
}

/** How to encode one prompt. */
export interface EncodeOptions {
  /**
   * A1111's "Clip skip": 1 conditions on the last layer, 2 on the one before it (`hidden_states[-2]`
   * through the final LayerNorm, as A1111 and diffusers' `clip_skip=1` do), and so on.
   */
  clipSkip?: number;
}

export interface TextEncoding {
  /** Per-token states `[1, tokens, width]`. */
  hidden: Float32Array;
  dims: readonly [number, number, number];
  /** `[1, P]` when asked for. */
  pooled?: Float32Array;
}

const HIDDEN_STATE = /^hidden_states\.(\d+)$/;

/** What the pipeline needs of a text encoder (a session, or a stand-in in tests). */
export interface PromptEncoder {
  encode(ids: readonly number[], options?: EncodeOptions): Promise<TextEncoding>;
}

/**
 * A CLIP text encoder session as diffusers' and optimum's exports declare it: `input_ids` (int32 or
 * int64) in; `last_hidden_state`, `pooler_output` or `text_embeds`, and `hidden_states.0…L` out.
 */
export class TextEncoderSession implements PromptEncoder {
  readonly #loaded: LoadedSession;
  readonly #ids: TensorMetadata;
  readonly #hidden: string;
  readonly #pooled: string | undefined;
  /** The highest `hidden_states.N` output (the last layer's), or -1 without them. */
  readonly #lastLayer: number;
  readonly #modelPath: string | undefined;
  readonly #layerNormEps: number;
  #finalNorm: Promise<{ weight: Float32Array; bias: Float32Array }> | undefined;
  readonly #needs: TextEncoderNeeds;
  /** Layers built with LoRA adapter inputs (none for an ordinary export), by module. */
  readonly adapterSlots: ReadonlyMap<string, AdapterSlot>;
  /** What those inputs get with every call: a request's LoRA set, or no LoRA. */
  readonly #adapterFeeds: Record<string, Tensor>;

  /** `adapterFeeds`: a LoRA set's feeds (see lora/lora-set.ts); default no LoRA. */
  constructor(loaded: LoadedSession, needs: TextEncoderNeeds, adapterFeeds?: Record<string, Tensor>) {
    this.#loaded = loaded;
    this.#needs = needs;
    this.adapterSlots = adapterSlots(loaded);
    this.#adapterFeeds = adapterFeeds ?? slotFeeds(this.adapterSlots, new Map());
    this.#ids = findInput(loaded, ["input_ids"]);
    if (this.#ids.type !== "int32" && this.#ids.type !== "int64") {
      throw new ModelLoadError(
        `${loaded.file}: input_ids`,
        `has type ${this.#ids.type}; expected int32 or int64`,
      );
    }
    // hidden_states holds the embeddings and then every layer's output: [-2] is index L - 1.
    const layers = loaded.session.outputNames
      .map((name) => HIDDEN_STATE.exec(name)?.[1])
      .filter((index) => index !== undefined)
      .map(Number);
    const last = Math.max(-1, ...layers);
    this.#lastLayer = last;
    this.#modelPath = needs.penultimate ? undefined : needs.modelPath;
    this.#layerNormEps = needs.layerNormEps ?? 1e-5;
    if (needs.penultimate) {
      if (last < 1) {
        throw new ModelLoadError(
          `${loaded.file}: hidden_states`,
          "output tensors missing (SDXL conditions on the penultimate hidden states, hidden_states.0…L)",
        );
      }
      this.#hidden = findOutputName(loaded, [`hidden_states.${last - 1}`], false);
    } else {
      this.#hidden = findOutputName(loaded, ["last_hidden_state"]);
    }
    this.#pooled = needs.pooled ? findOutputName(loaded, ["text_embeds", "pooler_output"], false) : undefined;
  }

  /** This encoder with a LoRA set's adapter feeds: same session, same weights. */
  withAdapters(adapterFeeds: Record<string, Tensor>): TextEncoderSession {
    return new TextEncoderSession(this.#loaded, this.#needs, adapterFeeds);
  }

  /**
   * The largest clip skip this export allows: its layer count when it outputs every layer's hidden
   * states and its file is known, else 1 (diffusers' export script writes no hidden states).
   */
  get maxClipSkip(): number {
    return this.#modelPath === undefined || this.#lastLayer < 1 ? 1 : this.#lastLayer;
  }

  /** Encode one prompt's token ids. */
  async encode(ids: readonly number[], options: EncodeOptions = {}): Promise<TextEncoding> {
    const clipSkip = options.clipSkip ?? 1;
    if (!Number.isInteger(clipSkip) || clipSkip < 1 || clipSkip > this.maxClipSkip)
      throw new RangeError(`clip skip ${clipSkip} is outside 1…${this.maxClipSkip} for ${this.#loaded.file}`);
    const hiddenName = clipSkip === 1 ? this.#hidden : `hidden_states.${this.#lastLayer + 1 - clipSkip}`;
    const data = this.#ids.type === "int64" ? BigInt64Array.from(ids, BigInt) : Int32Array.from(ids);
    const feeds = {
      ...this.#adapterFeeds,
      [this.#ids.name]: new Tensor(this.#ids.type, data, [1, ids.length]),
    };
    const wanted = this.#pooled === undefined ? [hiddenName] : [hiddenName, this.#pooled];
    const results = await this.#loaded.session.run(feeds, wanted);
    const hidden = outputData(this.#loaded, results, hiddenName);
    const [batch, tokens, width] = hidden.dims;
    if (hidden.dims.length !== 3 || batch !== 1 || tokens === undefined || width === undefined) {
      throw new ModelLoadError(
        `${this.#loaded.file}: ${hiddenName}`,
        `has shape [${hidden.dims}], expected [1, tokens, width]`,
      );
    }
    const states =
      clipSkip === 1
        ? hidden.data
        : layerNorm(hidden.data, width, await this.#finalNormFor(clipSkip, width), this.#layerNormEps);
    const encoding: TextEncoding = { hidden: states, dims: [1, tokens, width] };
    if (this.#pooled !== undefined) encoding.pooled = outputData(this.#loaded, results, this.#pooled).data;
    return encoding;
  }

  /** The final LayerNorm, or, for an export whose weights cannot be found, the request's own error. */
  async #finalNormFor(
    clipSkip: number,
    width: number,
  ): Promise<{ weight: Float32Array; bias: Float32Array }> {
    try {
      return await this.#readFinalNorm(width);
    } catch (error) {
      if (!(error instanceof ModelLoadError)) throw error;
      throw new InvalidArgumentError(
        "clipSkip",
        clipSkip,
        `is not available for this model: ${error.message}`,
      );
    }
  }

  /** `text_model.final_layer_norm` (or the builder's `final_layer_norm`) from the model file, read once. */
  #readFinalNorm(width: number): Promise<{ weight: Float32Array; bias: Float32Array }> {
    this.#finalNorm ??= (async () => {
      const path = this.#modelPath as string;
      const found = await readSmallInitializers(path, (name) =>
        /(^|\.)final_layer_norm\.(weight|bias)$/.test(name),
      );
      const pick = (part: string) =>
        [...found].find(([name]) => name.endsWith(`final_layer_norm.${part}`))?.[1];
      const weight = pick("weight");
      const bias = pick("bias");
      if (weight?.length !== width || bias?.length !== width)
        throw new ModelLoadError(
          `${this.#loaded.file}: final_layer_norm`,
          `weight and bias of ${width} values not found among its initializers (clip skip applies the final LayerNorm to an earlier layer)`,
        );
      return { weight, bias };
    })();
    this.#finalNorm.catch(() => {
      this.#finalNorm = undefined; // a later request may try again
    });
    return this.#finalNorm;
  }
}

/**
 * `torch.nn.LayerNorm` over each token's `width` features: mean and variance in float64 (torch
 * accumulates wider than it stores), the result in float32.
 */
export function layerNorm(
  states: Float32Array,
  width: number,
  norm: { weight: Float32Array; bias: Float32Array },
  eps: number,
): Float32Array {
  const out = new Float32Array(states.length);
  for (let row = 0; row < states.length; row += width) {
    let mean = 0;
    for (let i = 0; i < width; i++) mean += states[row + i] as number;
    mean /= width;
    let variance = 0;
    for (let i = 0; i < width; i++) variance += ((states[row + i] as number) - mean) ** 2;
    const scale = 1 / Math.sqrt(variance / width + eps);
    for (let i = 0; i < width; i++)
      out[row + i] =
        ((states[row + i] as number) - mean) * scale * (norm.weight[i] as number) + (norm.bias[i] as number);
  }
  return out;
}
