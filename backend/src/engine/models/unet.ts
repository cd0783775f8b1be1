import type { Tensor } from "onnxruntime-node";
import type { ControlResiduals } from "../control/residuals.ts";
import { ModelLoadError } from "../errors.ts";
import { type AdapterSlot, adapterSlots, isAdapterInput, slotFeeds } from "../lora/adapter-slots.ts";
import {
  batchRow,
  findInput,
  findOptionalInput,
  findOutputName,
  fixedDim,
  floatTensor,
  hasFixedBatchOfOne,
  type LoadedSession,
  outputData,
  requireFloat,
  requireInputValue,
  requireOnlyInputs,
  type TensorMetadata,
} from "./onnx-session.ts";
import { TIMESTEP_TYPES, timestepTensor } from "./timestep-tensor.ts";

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
  /**
   * ControlNet residuals, for a UNet exported to take them (`cnet/model.onnx`), which needs them: the
   * pipeline runs the plain UNet on steps where no unit acts.
   */
  residuals?: ControlResiduals;
}

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
  /** onnx-web's `cnet` UNet: `down_block_0…N` and `mid_block_additional_residual`, in order. */
  readonly #residualInputs: readonly TensorMetadata[];
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
    this.#residualInputs = residualInputs(loaded);
    const inputs = [
      this.#sample,
      this.#timestep,
      this.#context,
      this.#textEmbeds,
      this.#timeIds,
      this.#timestepCond,
      ...this.#residualInputs,
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

  /** `time_ids`' width when the export fixes it: 6 (SDXL base), 5 (SDXL refiner). */
  get timeIdCount(): number | undefined {
    return this.#timeIds === undefined ? undefined : fixedDim(this.#timeIds, 1);
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

  /** How many ControlNet residuals the export takes (down blocks and the mid block); 0 for a plain UNet. */
  get residualCount(): number {
    return this.#residualInputs.length;
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
      ...this.#residualInputs,
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
      [this.#timestep.name]: timestepTensor(this.#timestep, inputs.timestep, batch),
      [this.#context.name]: this.#constantTensor(this.#context, inputs.context, inputs.contextDims),
    };
    this.#feedOptional(feeds, this.#textEmbeds, inputs.textEmbeds, batch);
    this.#feedOptional(feeds, this.#timeIds, inputs.timeIds, batch);
    this.#feedOptional(feeds, this.#timestepCond, inputs.timestepCond, batch);
    this.#feedResiduals(feeds, inputs.residuals);
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

  #feedResiduals(feeds: Record<string, Tensor>, residuals: ControlResiduals | undefined): void {
    if (this.#residualInputs.length === 0) {
      if (residuals !== undefined)
        throw new ModelLoadError(this.#loaded.file, "takes no ControlNet residuals (not a ControlNet UNet)");
      return;
    }
    if (residuals !== undefined && residuals.tensors.length !== this.#residualInputs.length)
      throw new ModelLoadError(
        this.#loaded.file,
        `takes ${this.#residualInputs.length} ControlNet residuals; the ControlNet gave ${residuals.tensors.length}`,
      );
    this.#residualInputs.forEach((meta, i) => {
      const given = residuals?.tensors[i];
      if (given === undefined)
        throw new ModelLoadError(`${this.#loaded.file}: ${meta.name}`, "the pipeline has no residual for it");
      feeds[meta.name] = floatTensor(meta, given.data, given.dims);
    });
  }

  #feedOptional(
    feeds: Record<string, Tensor>,
    meta: TensorMetadata | undefined,
    data: Float32Array | undefined,
    batch: number,
  ): void {
    if (meta === undefined) return;
    const value = requireInputValue(this.#loaded, meta, data);
    feeds[meta.name] = this.#constantTensor(meta, value, [batch, value.length / batch]);
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
}

function sliceBatch(inputs: UNetInputs, b: number): UNetInputs {
  const item = (data: Float32Array) => batchRow(data, inputs.sampleDims[0], b);
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
  if (inputs.residuals !== undefined)
    sliced.residuals = {
      tensors: inputs.residuals.tensors.map(({ data, dims }) => ({
        data: item(data),
        dims: [1, ...dims.slice(1)],
      })),
    };
  return sliced;
}

/**
 * onnx-web's ControlNet UNet (`cnet/model.onnx`) takes `down_block_0` … `down_block_11` and
 * `mid_block_additional_residual` besides the usual inputs (`convert/diffusion/diffusion.py`); SDXL
 * exports have fewer down blocks. Ordered as the ControlNet returns them: the down blocks, then mid.
 */
function residualInputs(loaded: LoadedSession): TensorMetadata[] {
  const down: TensorMetadata[] = [];
  for (let i = 0; ; i++) {
    const meta = findOptionalInput(loaded, [`down_block_${i}`, `down_block_additional_residual_${i}`]);
    if (meta === undefined) break;
    down.push(meta);
  }
  const mid = findOptionalInput(loaded, ["mid_block_additional_residual", "mid_block"]);
  if (down.length === 0 && mid === undefined) return [];
  if (down.length === 0 || mid === undefined)
    throw new ModelLoadError(
      `${loaded.file}: ${mid === undefined ? "mid_block_additional_residual" : "down_block_0"}`,
      "input tensor missing (a ControlNet UNet takes the down blocks' and the mid block's residuals)",
    );
  for (const meta of [...down, mid]) requireFloat(loaded, meta);
  return [...down, mid];
}
