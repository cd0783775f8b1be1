import { Tensor } from "onnxruntime-node";
import { ModelLoadError } from "../errors.ts";
import {
  findInput,
  findOutputName,
  type LoadedSession,
  outputData,
  type TensorMetadata,
} from "./onnx-session.ts";

/** CLIP's text encoder session: token ids in, per-token hidden states out. */
export class TextEncoderSession {
  readonly #loaded: LoadedSession;
  readonly #ids: TensorMetadata;
  readonly #output: string;

  constructor(loaded: LoadedSession) {
    this.#loaded = loaded;
    this.#ids = findInput(loaded, ["input_ids"]);
    if (this.#ids.type !== "int32" && this.#ids.type !== "int64") {
      throw new ModelLoadError(
        `${loaded.file}: input_ids`,
        `has type ${this.#ids.type}; expected int32 or int64`,
      );
    }
    this.#output = findOutputName(loaded, ["last_hidden_state"]);
  }

  /** Hidden states `[1, tokens, width]` for one prompt's ids; exported as int32 or int64 ids alike. */
  async encode(ids: readonly number[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
    const data = this.#ids.type === "int64" ? BigInt64Array.from(ids, BigInt) : Int32Array.from(ids);
    const feeds = { [this.#ids.name]: new Tensor(this.#ids.type, data, [1, ids.length]) };
    const results = await this.#loaded.session.run(feeds, [this.#output]);
    return outputData(this.#loaded, results, this.#output);
  }
}
