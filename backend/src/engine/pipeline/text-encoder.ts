import { Tensor } from "onnxruntime-node";
import { ModelLoadError } from "../errors.ts";
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
  encode(ids: readonly number[]): Promise<TextEncoding>;
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

  constructor(loaded: LoadedSession, needs: TextEncoderNeeds) {
    this.#loaded = loaded;
    this.#ids = findInput(loaded, ["input_ids"]);
    if (this.#ids.type !== "int32" && this.#ids.type !== "int64") {
      throw new ModelLoadError(
        `${loaded.file}: input_ids`,
        `has type ${this.#ids.type}; expected int32 or int64`,
      );
    }
    if (needs.penultimate) {
      // hidden_states holds the embeddings and then every layer's output: [-2] is index L - 1.
      const layers = loaded.session.outputNames
        .map((name) => HIDDEN_STATE.exec(name)?.[1])
        .filter((index) => index !== undefined)
        .map(Number);
      const last = Math.max(-1, ...layers);
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

  /** Encode one prompt's token ids. */
  async encode(ids: readonly number[]): Promise<TextEncoding> {
    const data = this.#ids.type === "int64" ? BigInt64Array.from(ids, BigInt) : Int32Array.from(ids);
    const feeds = { [this.#ids.name]: new Tensor(this.#ids.type, data, [1, ids.length]) };
    const wanted = this.#pooled === undefined ? [this.#hidden] : [this.#hidden, this.#pooled];
    const results = await this.#loaded.session.run(feeds, wanted);
    const hidden = outputData(this.#loaded, results, this.#hidden);
    const [batch, tokens, width] = hidden.dims;
    if (hidden.dims.length !== 3 || batch !== 1 || tokens === undefined || width === undefined) {
      throw new ModelLoadError(
        `${this.#loaded.file}: ${this.#hidden}`,
        `has shape [${hidden.dims}], expected [1, tokens, width]`,
      );
    }
    const encoding: TextEncoding = { hidden: hidden.data, dims: [1, tokens, width] };
    if (this.#pooled !== undefined) encoding.pooled = outputData(this.#loaded, results, this.#pooled).data;
    return encoding;
  }
}
