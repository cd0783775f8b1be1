import type { Tensor } from "onnxruntime-node";
import { ModelLoadError } from "../errors.ts";
import { floatTensor, type LoadedSession, type TensorMetadata } from "../models/onnx-session.ts";

const DOWN = ".lora_down";
const UP = ".lora_up";

/** A layer of a session built with a low-rank adapter input (model-builder/lora-inputs.ts). */
export interface AdapterSlot {
  /** The module a LoRA names it by: diffusers' UNet path or transformers' CLIP path. */
  module: string;
  kind: "linear" | "conv";
  inFeatures: number;
  outFeatures: number;
  /** A convolution's kernel side (1 for a Linear). */
  kernel: number;
  down: TensorMetadata;
  up: TensorMetadata;
}

/** Whether `name` is an adapter input, which the engine feeds itself. */
export function isAdapterInput(name: string): boolean {
  return name.endsWith(DOWN) || name.endsWith(UP);
}

/**
 * The adapter inputs of `loaded`, by module, read from its input metadata: a Linear's `down` is
 * `[in, rank]` and `up` `[rank, out]`; a convolution's `[rank, in, k, k]` and `[out, rank, 1, 1]`.
 * Empty for a model built without them.
 */
export function adapterSlots(loaded: LoadedSession): Map<string, AdapterSlot> {
  const slots = new Map<string, AdapterSlot>();
  const meta = new Map<string, TensorMetadata>();
  for (const input of loaded.session.inputMetadata)
    if (input.isTensor && isAdapterInput(input.name)) meta.set(input.name, input);
  for (const [name, down] of meta) {
    if (!name.endsWith(DOWN)) continue;
    const module = name.slice(0, -DOWN.length);
    const up = meta.get(`${module}${UP}`);
    const fixed = (dims: readonly (number | string)[]) => dims.map((d) => (typeof d === "number" ? d : 0));
    if (up === undefined)
      throw new ModelLoadError(`${loaded.file}: ${module}${UP}`, "input missing (its .lora_down has one)");
    const downDims = fixed(down.shape);
    const upDims = fixed(up.shape);
    const slot: AdapterSlot =
      downDims.length === 2
        ? {
            module,
            kind: "linear",
            inFeatures: downDims[0] as number,
            outFeatures: upDims[1] as number,
            kernel: 1,
            down,
            up,
          }
        : {
            module,
            kind: "conv",
            inFeatures: downDims[1] as number,
            outFeatures: upDims[0] as number,
            kernel: downDims[2] as number,
            down,
            up,
          };
    if (slot.inFeatures <= 0 || slot.outFeatures <= 0 || slot.kernel <= 0)
      throw new ModelLoadError(`${loaded.file}: ${name}`, "adapter input without fixed feature dims");
    slots.set(module, slot);
  }
  return slots;
}

/** One slot's adapter tensors: `down` then `up`, rank concatenated over the set's LoRAs. */
export interface SlotAdapter {
  down: Float32Array;
  up: Float32Array;
  rank: number;
}

/**
 * The feeds of `slots`: `adapters` where the set trains a slot; elsewhere rank 0 for a Linear (an
 * empty MatMul) and a rank-1 zero adapter for a convolution (onnxruntime's CPU Conv leaves an output
 * with no channels unwritten, so a zero-rank Conv is not safe to feed).
 */
export function slotFeeds(
  slots: ReadonlyMap<string, AdapterSlot>,
  adapters: ReadonlyMap<string, SlotAdapter>,
): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const slot of slots.values()) {
    const adapter = adapters.get(slot.module) ?? emptyAdapter(slot);
    const { rank } = adapter;
    const [downDims, upDims] =
      slot.kind === "linear"
        ? [
            [slot.inFeatures, rank],
            [rank, slot.outFeatures],
          ]
        : [
            [rank, slot.inFeatures, slot.kernel, slot.kernel],
            [slot.outFeatures, rank, 1, 1],
          ];
    feeds[slot.down.name] = floatTensor(slot.down, adapter.down, downDims);
    feeds[slot.up.name] = floatTensor(slot.up, adapter.up, upDims);
  }
  return feeds;
}

function emptyAdapter(slot: AdapterSlot): SlotAdapter {
  if (slot.kind === "linear") return { down: new Float32Array(0), up: new Float32Array(0), rank: 0 };
  return {
    down: new Float32Array(slot.inFeatures * slot.kernel * slot.kernel),
    up: new Float32Array(slot.outFeatures),
    rank: 1,
  };
}
