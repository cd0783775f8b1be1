import type { Tensor } from "onnxruntime-node";
import { ModelLoadError } from "../errors.ts";
import {
  batchRow,
  findInput,
  findOptionalInput,
  floatTensor,
  hasFixedBatchOfOne,
  type LoadedSession,
  outputData,
  requireFloat,
  requireInputValue,
  requireOnlyInputs,
  type TensorMetadata,
} from "../models/onnx-session.ts";
import { TIMESTEP_TYPES, timestepTensor } from "../models/timestep-tensor.ts";
import type { ControlResiduals, ResidualTensor } from "./residuals.ts";

/** One ControlNet call's inputs, batched on the first axis as the UNet's are. */
export interface ControlNetInputs {
  sample: Float32Array;
  sampleDims: readonly [number, number, number, number];
  timestep: number;
  context: Float32Array;
  contextDims: readonly [number, number, number];
  /** The control map, `[batch, 3, H, W]` in [0, 1] (diffusers' `control_image_processor`, no normalising). */
  cond: Float32Array;
  condDims: readonly [number, number, number, number];
  /** SDXL: the pooled text embeddings `[batch, P]` and size ids `[batch, 6]` the SDXL UNet gets. */
  textEmbeds?: Float32Array;
  timeIds?: Float32Array;
}

const NO_ADDED_CONDITIONING =
  "is SDXL's added conditioning, and this model's pipeline has none (an SDXL ControlNet on a non-SDXL model?)";

const MID_NAMES = ["mid_block", "mid_block_res_sample", "mid_block_additional_residual"];

/**
 * A ControlNet export (`controlnet/<name>/model.onnx`), fed by its input metadata: `sample`,
 * `timestep`, `encoder_hidden_states`, `controlnet_cond`, and `conditioning_scale` where the export
 * has it (fed 1: the engine scales the residuals itself, per block, as A1111 does), and an SDXL
 * ControlNet's `text_embeds` and `time_ids` (diffusers' `addition_embed_type: "text_time"`, the same
 * added conditioning as the SDXL UNet's: its time embedding is a copy of the UNet's). Its outputs are
 * matched by name where the export names them (`down_block_0` … and `mid_block`, as Olive's and
 * TensorRT's exports do) and else by position: onnx-web's `convert/diffusion/control.py` names only
 * the first two of its 13 outputs (`down_block_res_samples`, `mid_block_res_sample`) and the rest
 * get traced names, but the order is diffusers' `ControlNetModel` return order, the down blocks
 * then the mid block.
 */
export class ControlNetSession {
  readonly #loaded: LoadedSession;
  readonly #sample: TensorMetadata;
  readonly #timestep: TensorMetadata;
  readonly #context: TensorMetadata;
  readonly #cond: TensorMetadata;
  readonly #scale: TensorMetadata | undefined;
  readonly #textEmbeds: TensorMetadata | undefined;
  readonly #timeIds: TensorMetadata | undefined;
  /** Output names, the down blocks' then the mid block's. */
  readonly #outputs: readonly string[];

  constructor(loaded: LoadedSession) {
    this.#loaded = loaded;
    this.#sample = findInput(loaded, ["sample"]);
    this.#timestep = findInput(loaded, ["timestep"]);
    this.#context = findInput(loaded, ["encoder_hidden_states"]);
    this.#cond = findInput(loaded, ["controlnet_cond", "cond", "image"]);
    this.#scale = findOptionalInput(loaded, ["conditioning_scale"]);
    this.#textEmbeds = findOptionalInput(loaded, ["text_embeds"]);
    this.#timeIds = findOptionalInput(loaded, ["time_ids"]);
    const floats = [this.#sample, this.#context, this.#cond, this.#scale, this.#textEmbeds, this.#timeIds];
    requireOnlyInputs(loaded, [
      this.#timestep.name,
      ...floats.flatMap((meta) => (meta === undefined ? [] : [meta.name])),
    ]);
    for (const meta of floats) if (meta !== undefined) requireFloat(loaded, meta);
    if ((this.#textEmbeds === undefined) !== (this.#timeIds === undefined))
      throw new ModelLoadError(
        loaded.file,
        `takes ${this.#textEmbeds === undefined ? "time_ids" : "text_embeds"} without ${this.#textEmbeds === undefined ? "text_embeds" : "time_ids"}; an SDXL ControlNet takes both`,
      );
    if (!TIMESTEP_TYPES.includes(this.#timestep.type))
      throw new ModelLoadError(
        `${loaded.file}: ${this.#timestep.name}`,
        `has type ${this.#timestep.type}; expected ${TIMESTEP_TYPES.join(", ")}`,
      );
    this.#outputs = residualOutputs(loaded);
  }

  /** The file it runs, for errors. */
  get file(): string {
    return this.#loaded.file;
  }

  /** How many residuals it returns: the UNet it feeds must take as many. */
  get residualCount(): number {
    return this.#outputs.length;
  }

  /** The residuals for one step, unscaled; an export with its batch fixed at 1 runs once per row. */
  async residuals(inputs: ControlNetInputs): Promise<ControlResiduals> {
    const batch = inputs.sampleDims[0];
    const fixedBatch = [this.#sample, this.#context, this.#cond, this.#textEmbeds, this.#timeIds].some(
      (meta) => meta !== undefined && hasFixedBatchOfOne(meta),
    );
    if (batch === 1 || !fixedBatch) return this.#run(inputs);
    const rows: ControlResiduals[] = [];
    for (let row = 0; row < batch; row++) rows.push(await this.#run(rowOf(inputs, row)));
    return {
      tensors: this.#outputs.map((_, k) => {
        const parts = rows.map((r) => r.tensors[k] as ResidualTensor);
        const data = new Float32Array(parts.reduce((sum, part) => sum + part.data.length, 0));
        for (const [row, part] of parts.entries()) data.set(part.data, row * part.data.length);
        return { data, dims: [batch, ...(parts[0]?.dims.slice(1) ?? [])] };
      }),
    };
  }

  async #run(inputs: ControlNetInputs): Promise<ControlResiduals> {
    const batch = inputs.sampleDims[0];
    const feeds: Record<string, Tensor> = {
      [this.#sample.name]: floatTensor(this.#sample, inputs.sample, inputs.sampleDims),
      [this.#timestep.name]: timestepTensor(this.#timestep, inputs.timestep, batch),
      [this.#context.name]: floatTensor(this.#context, inputs.context, inputs.contextDims),
      [this.#cond.name]: floatTensor(this.#cond, inputs.cond, inputs.condDims),
    };
    if (this.#scale !== undefined) {
      const dims = this.#scale.shape.length === 0 ? [] : [1];
      feeds[this.#scale.name] = floatTensor(this.#scale, new Float32Array([1]), dims);
    }
    // SDXL's added conditioning, `[batch, width]`, as the UNet gets it
    const added = [
      [this.#textEmbeds, inputs.textEmbeds],
      [this.#timeIds, inputs.timeIds],
    ] as const;
    for (const [meta, data] of added) {
      if (meta === undefined) continue;
      const value = requireInputValue(this.#loaded, meta, data, NO_ADDED_CONDITIONING);
      feeds[meta.name] = floatTensor(meta, value, [batch, value.length / batch]);
    }
    const results = await this.#loaded.session.run(feeds, [...this.#outputs]);
    return {
      tensors: this.#outputs.map((name) => {
        const { data, dims } = outputData(this.#loaded, results, name);
        if (dims[0] !== batch)
          throw new ModelLoadError(
            `${this.#loaded.file}: ${name}`,
            `has batch ${dims[0]}; expected ${batch}`,
          );
        return { data, dims };
      }),
    };
  }

  async release(): Promise<void> {
    await this.#loaded.session.release();
  }
}

function rowOf(inputs: ControlNetInputs, row: number): ControlNetInputs {
  const item = (data: Float32Array) => batchRow(data, inputs.sampleDims[0], row);
  const [, channels, h, w] = inputs.sampleDims;
  const [, tokens, width] = inputs.contextDims;
  const [, condChannels, height, condWidth] = inputs.condDims;
  return {
    sample: item(inputs.sample),
    sampleDims: [1, channels, h, w],
    timestep: inputs.timestep,
    context: item(inputs.context),
    contextDims: [1, tokens, width],
    cond: item(inputs.cond),
    condDims: [1, condChannels, height, condWidth],
    ...(inputs.textEmbeds === undefined ? {} : { textEmbeds: item(inputs.textEmbeds) }),
    ...(inputs.timeIds === undefined ? {} : { timeIds: item(inputs.timeIds) }),
  };
}

function residualOutputs(loaded: LoadedSession): string[] {
  const names = loaded.session.outputNames;
  const down: string[] = [];
  for (let i = 0; names.includes(`down_block_${i}`); i++) down.push(`down_block_${i}`);
  const mid = MID_NAMES.find((name) => names.includes(name));
  if (down.length > 0 && mid !== undefined && down.length + 1 === names.length) return [...down, mid];
  if (names.length < 2)
    throw new ModelLoadError(
      loaded.file,
      `has ${names.length} output; a ControlNet returns its down blocks' residuals and its mid block's`,
    );
  // onnx-web's positional layout: the down blocks in order, the mid block last
  return [...names];
}
