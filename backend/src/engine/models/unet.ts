import { Tensor } from "onnxruntime-node";
import { ModelLoadError } from "../errors.ts";
import { type AdapterSlot, adapterSlots, isAdapterInput, slotFeeds } from "../lora/adapter-slots.ts";
import {
  findInput,
  findOptionalInput,
  findOutputName,
  fixedDim,
  floatTensor,
  hasFixedBatchOfOne,
  type LoadedSession,
  outputData,
  requireFloat,
  requireOnlyInputs,
  type TensorMetadata,
} from "./onnx-session.ts";

/** One UNet call's inputs; every tensor is batched on its first axis with `sampleDims[0]` items. */
export interface UNetInputs {
  sample: Float32Array;
  sampleDims: readonly [number, number, number, number];
  timestep: number;
  /** `[batch, tokens, width]`. */
  context: Float32Array;
  contextDims: readonly [number, number, number];
  /** SDXL: pooled text embeddings `[batch, P]`. */
  textEmbeds?: Float32Array;
  /** SDXL: `[batch, 6]` size conditioning. */
  timeIds?: Float32Array;
  /** LCM: guidance embedding `[batch, D]`. */
  timestepCond?: Float32Array;
}

const TIMESTEP_TYPES = ["float32", "float16", "int64", "int32"];

/**
 * The UNet session, fed by its input metadata (diffusers' and optimum's exports): `sample`,
 * `timestep` (float or int, shaped `[]`, `[1]` or `[batch]`), `encoder_hidden_states`, and SDXL's
 * `text_embeds`/`time_ids` or LCM's `timestep_cond` when the export has them; float tensors in the
 * declared precision. An export with its batch fixed at 1 runs one call per batch item.
 */
export class UNetSession {
  readonly #loaded: LoadedSession;
  readonly #sample: TensorMetadata;
  readonly #timestep: TensorMetadata;
  readonly #context: TensorMetadata;
  readonly #textEmbeds: TensorMetadata | undefined;
  readonly #timeIds: TensorMetadata | undefined;
  readonly #timestepCond: TensorMetadata | undefined;
  readonly #output: string;
  /** Tensors of the inputs that stay the same over a generation's steps (text, size, guidance). */
  readonly #constantTensors = new WeakMap<Float32Array, Tensor>();
  /** Layers built with LoRA adapter inputs (none for an ordinary export), by module. */
  readonly adapterSlots: ReadonlyMap<string, AdapterSlot>;
  /** What those inputs get with every call: a request's LoRA set, or no LoRA. */
  readonly #adapterFeeds: Record<string, Tensor>;

  /** `adapterFeeds`: a LoRA set's feeds (see lora/lora-set.ts); default no LoRA. */
  constructor(loaded: LoadedSession, adapterFeeds?: Record<string, Tensor>) {
    this.#loaded = loaded;
    this.adapterSlots = adapterSlots(loaded);
    this.#adapterFeeds = adapterFeeds ?? slotFeeds(this.adapterSlots, new Map());
    this.#sample = findInput(loaded, ["sample"]);
    this.#timestep = findInput(loaded, ["timestep"]);
    this.#context = findInput(loaded, ["encoder_hidden_states"]);
    this.#textEmbeds = findOptionalInput(loaded, ["text_embeds"]);
    this.#timeIds = findOptionalInput(loaded, ["time_ids"]);
    this.#timestepCond = findOptionalInput(loaded, ["timestep_cond"]);
    const inputs = [
      this.#sample,
      this.#timestep,
      this.#context,
      this.#textEmbeds,
      this.#timeIds,
      this.#timestepCond,
    ];
    requireOnlyInputs(
      loaded,
      inputs
        .flatMap((meta) => (meta === undefined ? [] : [meta.name]))
        .concat(loaded.session.inputNames.filter(isAdapterInput)),
    );
    for (const meta of [this.#sample, this.#context, this.#textEmbeds, this.#timeIds, this.#timestepCond]) {
      if (meta !== undefined) requireFloat(loaded, meta);
    }
    if ((this.#textEmbeds === undefined) !== (this.#timeIds === undefined)) {
      const missing = this.#textEmbeds === undefined ? "text_embeds" : "time_ids";
      throw new ModelLoadError(`${loaded.file}: ${missing}`, "input tensor missing (SDXL UNets take both)");
    }
    if (!TIMESTEP_TYPES.includes(this.#timestep.type)) {
      throw new ModelLoadError(
        `${loaded.file}: ${this.#timestep.name}`,
        `has type ${this.#timestep.type}; expected ${TIMESTEP_TYPES.join(", ")}`,
      );
    }
    this.#output = findOutputName(loaded, ["out_sample"]);
  }

  /** This UNet with a LoRA set's adapter feeds: same session, same weights. */
  withAdapters(adapterFeeds: Record<string, Tensor>): UNetSession {
    return new UNetSession(this.#loaded, adapterFeeds);
  }

  /** Channels of `sample` when the export fixes them (9 for inpainting UNets). */
  get sampleChannels(): number | undefined {
    return fixedDim(this.#sample, 1);
  }

  /** Latent height and width when the export fixes them. */
  get fixedLatentSize(): { height: number; width: number } | undefined {
    const height = fixedDim(this.#sample, 2);
    const width = fixedDim(this.#sample, 3);
    return height === undefined || width === undefined ? undefined : { height, width };
  }

  /** `encoder_hidden_states`' token count when the export fixes it (then long prompts are cut to fit). */
  get fixedContextTokens(): number | undefined {
    return fixedDim(this.#context, 1);
  }

  /** SDXL's added conditioning: pooled text embeddings and size ids. */
  get hasAddedConditioning(): boolean {
    return this.#textEmbeds !== undefined;
  }

  /** LCM's guidance embedding width, when the UNet takes `timestep_cond`. */
  get timestepCondDim(): number | undefined {
    return this.#timestepCond === undefined ? undefined : (fixedDim(this.#timestepCond, 1) ?? 256);
  }

  get textEmbedsDim(): number | undefined {
    return this.#textEmbeds === undefined ? undefined : fixedDim(this.#textEmbeds, 1);
  }

  /** The model's output for a batch, `[batch, latentChannels, h, w]` flattened. */
  async predict(inputs: UNetInputs): Promise<Float32Array> {
    const batch = inputs.sampleDims[0];
    const fixedBatch = [
      this.#sample,
      this.#context,
      this.#textEmbeds,
      this.#timeIds,
      this.#timestepCond,
    ].some((meta) => meta !== undefined && hasFixedBatchOfOne(meta));
    if (batch === 1 || !fixedBatch) return this.#run(inputs);
    const parts: Float32Array[] = [];
    for (let b = 0; b < batch; b++) parts.push(await this.#run(sliceBatch(inputs, b)));
    const joined = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      joined.set(part, offset);
      offset += part.length;
    }
    return joined;
  }

  async #run(inputs: UNetInputs): Promise<Float32Array> {
    const batch = inputs.sampleDims[0];
    const feeds: Record<string, Tensor> = {
      ...this.#adapterFeeds,
      [this.#sample.name]: floatTensor(this.#sample, inputs.sample, inputs.sampleDims),
      [this.#timestep.name]: this.#timestepTensor(inputs.timestep, batch),
      [this.#context.name]: this.#constantTensor(this.#context, inputs.context, inputs.contextDims),
    };
    this.#feedOptional(feeds, this.#textEmbeds, inputs.textEmbeds, batch);
    this.#feedOptional(feeds, this.#timeIds, inputs.timeIds, batch);
    this.#feedOptional(feeds, this.#timestepCond, inputs.timestepCond, batch);
    const results = await this.#loaded.session.run(feeds, [this.#output]);
    const { data } = outputData(this.#loaded, results, this.#output);
    const expected = (inputs.sample.length / inputs.sampleDims[1]) * 4;
    if (data.length !== expected && data.length !== inputs.sample.length) {
      throw new ModelLoadError(
        `${this.#loaded.file}: ${this.#output}`,
        `has ${data.length} values for a sample of ${inputs.sample.length}`,
      );
    }
    return data;
  }

  #feedOptional(
    feeds: Record<string, Tensor>,
    meta: TensorMetadata | undefined,
    data: Float32Array | undefined,
    batch: number,
  ): void {
    if (meta === undefined) return;
    if (data === undefined) {
      throw new ModelLoadError(
        `${this.#loaded.file}: ${meta.name}`,
        "the pipeline has no value for this input",
      );
    }
    feeds[meta.name] = this.#constantTensor(meta, data, [batch, data.length / batch]);
  }

  /** Converted once per generation: a float16 UNet would otherwise re-convert SDXL's context every step. */
  #constantTensor(meta: TensorMetadata, data: Float32Array, dims: readonly number[]): Tensor {
    const cached = this.#constantTensors.get(data);
    if (
      cached !== undefined &&
      cached.dims.length === dims.length &&
      cached.dims.every((d, i) => d === dims[i])
    ) {
      return cached;
    }
    const tensor = floatTensor(meta, data, dims);
    this.#constantTensors.set(data, tensor);
    return tensor;
  }

  #timestepTensor(timestep: number, batch: number): Tensor {
    const declared = this.#timestep.shape;
    const dims = declared.length === 0 ? [] : declared[0] === 1 ? [1] : [batch];
    const count = dims.length === 0 ? 1 : (dims[0] as number);
    // An integer timestep input gets `np.array([t], dtype=int64)` in diffusers' and optimum's ONNX
    // pipelines: truncated, so linspace's 499.5 is 499.
    switch (this.#timestep.type) {
      case "int64":
        return new Tensor("int64", new BigInt64Array(count).fill(BigInt(Math.trunc(timestep))), dims);
      case "int32":
        return new Tensor("int32", new Int32Array(count).fill(Math.trunc(timestep)), dims);
      default:
        return floatTensor(this.#timestep, new Float32Array(count).fill(timestep), dims);
    }
  }
}

function sliceBatch(inputs: UNetInputs, b: number): UNetInputs {
  const batch = inputs.sampleDims[0];
  const item = (data: Float32Array) => {
    const size = data.length / batch;
    return data.subarray(b * size, (b + 1) * size);
  };
  const [, channels, height, width] = inputs.sampleDims;
  const [, tokens, contextWidth] = inputs.contextDims;
  const sliced: UNetInputs = {
    sample: item(inputs.sample),
    sampleDims: [1, channels, height, width],
    timestep: inputs.timestep,
    context: item(inputs.context),
    contextDims: [1, tokens, contextWidth],
  };
  if (inputs.textEmbeds !== undefined) sliced.textEmbeds = item(inputs.textEmbeds);
  if (inputs.timeIds !== undefined) sliced.timeIds = item(inputs.timeIds);
  if (inputs.timestepCond !== undefined) sliced.timestepCond = item(inputs.timestepCond);
  return sliced;
}
