import { Tensor } from "onnxruntime-node";
import { ModelLoadError } from "../errors.ts";
import {
  findInput,
  findOutputName,
  hasFixedBatchOfOne,
  type LoadedSession,
  outputData,
  requireFloat32,
  requireOnlyInputs,
  type TensorMetadata,
} from "./onnx-session.ts";

const SAMPLE = ["sample"];
const TIMESTEP = ["timestep"];
const CONTEXT = ["encoder_hidden_states"];

/**
 * The UNet session, fed by its input metadata: the timestep as float32 or int64, shaped `[]`, `[1]` or
 * `[batch]` as the export declares it; a batch fixed at 1 runs one call per batch item.
 */
export class UNetSession {
  readonly #loaded: LoadedSession;
  readonly #sample: TensorMetadata;
  readonly #timestep: TensorMetadata;
  readonly #context: TensorMetadata;
  readonly #output: string;

  constructor(loaded: LoadedSession) {
    this.#loaded = loaded;
    this.#sample = findInput(loaded, SAMPLE);
    this.#timestep = findInput(loaded, TIMESTEP);
    this.#context = findInput(loaded, CONTEXT);
    requireOnlyInputs(loaded, [this.#sample.name, this.#timestep.name, this.#context.name]);
    requireFloat32(loaded, this.#sample);
    requireFloat32(loaded, this.#context);
    if (!["float32", "int64"].includes(this.#timestep.type)) {
      throw new ModelLoadError(
        `${loaded.file}: ${this.#timestep.name}`,
        `has type ${this.#timestep.type}; expected float32 or int64`,
      );
    }
    this.#output = findOutputName(loaded, ["out_sample"]);
  }

  /**
   * The noise prediction for `batch` latents `[batch, c, h, w]` (concatenated) at one timestep, with
   * `context` holding `batch` text encodings.
   */
  async predict(
    sample: Float32Array,
    sampleDims: readonly [number, number, number, number],
    timestep: number,
    context: Float32Array,
    contextDims: readonly [number, number, number],
  ): Promise<Float32Array> {
    const batch = sampleDims[0];
    if (batch > 1 && (hasFixedBatchOfOne(this.#sample) || hasFixedBatchOfOne(this.#context))) {
      const parts: Float32Array[] = [];
      const sampleSize = sample.length / batch;
      const contextSize = context.length / batch;
      for (let b = 0; b < batch; b++) {
        parts.push(
          await this.#run(
            sample.subarray(b * sampleSize, (b + 1) * sampleSize),
            [1, sampleDims[1], sampleDims[2], sampleDims[3]],
            timestep,
            context.subarray(b * contextSize, (b + 1) * contextSize),
            [1, contextDims[1], contextDims[2]],
          ),
        );
      }
      const joined = new Float32Array(sample.length);
      for (const [b, part] of parts.entries()) joined.set(part, b * sampleSize);
      return joined;
    }
    return this.#run(sample, sampleDims, timestep, context, contextDims);
  }

  async #run(
    sample: Float32Array,
    sampleDims: readonly number[],
    timestep: number,
    context: Float32Array,
    contextDims: readonly number[],
  ): Promise<Float32Array> {
    const batch = sampleDims[0] as number;
    const feeds = {
      [this.#sample.name]: new Tensor("float32", sample, sampleDims),
      [this.#timestep.name]: this.#timestepTensor(timestep, batch),
      [this.#context.name]: new Tensor("float32", context, contextDims),
    };
    const results = await this.#loaded.session.run(feeds, [this.#output]);
    const { data } = outputData(this.#loaded, results, this.#output);
    if (data.length !== sample.length) {
      throw new ModelLoadError(
        `${this.#loaded.file}: ${this.#output}`,
        `has ${data.length} values for a sample of ${sample.length}`,
      );
    }
    return data;
  }

  #timestepTensor(timestep: number, batch: number): Tensor {
    const declared = this.#timestep.shape;
    const dims = declared.length === 0 ? [] : declared[0] === 1 ? [1] : [batch];
    const count = dims.length === 0 ? 1 : (dims[0] as number);
    if (this.#timestep.type === "int64") {
      return new Tensor("int64", new BigInt64Array(count).fill(BigInt(Math.round(timestep))), dims);
    }
    return new Tensor("float32", new Float32Array(count).fill(timestep), dims);
  }
}
