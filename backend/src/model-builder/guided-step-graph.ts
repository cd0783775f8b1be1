import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { STEP_COLUMN_COUNT, STEP_COLUMNS, type StepColumn } from "../engine/device-loop/linear-step.ts";
import { DataType, type FloatTypeName, GraphBuilder } from "./graph.ts";

/** Element types the UNet's `timestep` input may declare (see engine/models/timestep-tensor.ts). */
export type TimestepTypeName = FloatTypeName | "int64" | "int32";

export interface GuidedStepOptions {
  /**
   * N, the cond rows after the uncond one: `noise_pred` is `[(1 + N)·B, C, H, W]` ordered
   * `[uncond × B, cond_1 × B, …]`. 0 is an unguided loop (no `cond_weights` input, `g` ignored).
   */
  conds: number;
  /** Whether the graph reads a noise table (`StepTable.stochastic`); without it `d` is ignored. */
  noise: boolean;
  /** The UNet's `out_sample` type, read as `noise_pred`. */
  predictionType: FloatTypeName;
  /** The UNet's `sample` type, written as `model_input`. */
  modelInputType: FloatTypeName;
  timestepType: TimestepTypeName;
  /** As the UNet declares `timestep`: `[]`, `[1]`, or one per UNet batch row. */
  timestepShape: "scalar" | "one" | "batch";
  /** The VAE decoder's `latent_sample` type, written as `vae_input`. */
  vaeInputType: FloatTypeName;
  /** The VAE's `scaling_factor`: 0.18215 for SD 1.5, 0.13025 for SDXL. */
  scalingFactor: number;
}

/** The metadata key holding the options a step graph was built with, as JSON. */
export const GUIDED_STEP_METADATA_KEY = "sdgate.guided_step";

/**
 * The device loop's step (engine/device-loop/linear-step.ts) as an ONNX graph that runs between two UNet
 * calls without a round trip to the host: guidance, the affine scheduler step, the next UNet call's
 * `model_input` and `timestep`, and the VAE's input, every per-step number gathered from the
 * coefficient table at `step`.
 *
 * Inputs: `noise_pred` [(1+N)·B, C, H, W] (predictionType); `sample`, `state` [B, C, H, W] float32;
 * `step` int64 [1]; `coefficients` float32 [steps, 13]; with `noise`, `noise` float32
 * [steps, B, C, H, W]; when N ≥ 1, `cond_weights` float32 [N] (also for N = 1, so one graph serves
 * any prompt weight). Outputs: `next_sample`, `next_state`, `denoised` float32 [B, C, H, W];
 * `next_step` int64 [1] (= step + 1); `model_input` [(1+N)·B, C, H, W] (= cInNext·x′, 1+N times);
 * `timestep` (tNext); `vae_input` [B, C, H, W] (= x′ / scalingFactor). Step 0 reads `state` zeros
 * and `step` 0; each later step reads the previous outputs (`next_*` as `sample`, `state`, `step`).
 *
 * It is written for CUDA graph capture, where every launch must be replayable with no host work:
 * no Shape, Size, NonZero or other shape-computing ops; every Reshape/Slice/Split shape, axis or size
 * is a constant initializer (Split of `noise_pred` is into equal parts, no sizes needed); only ops
 * with CUDA kernels (Gather, Split, Mul, Add, Sub, Cast, Concat, Reshape, Slice, Identity). B, C, H
 * and W stay symbolic; the step index is a device tensor, which is what lets one captured graph serve
 * every step.
 *
 * @example
 * const bytes = buildGuidedStepGraph({ conds: 1, noise: false, predictionType: "float16",
 *   modelInputType: "float16", timestepType: "float16", timestepShape: "one",
 *   vaeInputType: "float16", scalingFactor: 0.18215 });
 */
export function buildGuidedStepGraph(options: GuidedStepOptions): Uint8Array {
  checkOptions(options);
  const { conds } = options;
  const g = new GraphBuilder("guided_step");
  g.metadata(GUIDED_STEP_METADATA_KEY, JSON.stringify(options));
  const latent = ["batch", "channels", "height", "width"];
  const rows = ["unet_batch", "channels", "height", "width"];
  const noisePred = g.input("noise_pred", options.predictionType, rows);
  const sample = g.input("sample", "float", latent);
  const state = g.input("state", "float", latent);
  const step = g.input("step", "int64", [1]);
  const table = g.input("coefficients", "float", ["steps", STEP_COLUMN_COUNT]);
  const noiseTable = options.noise ? g.input("noise", "float", ["steps", ...latent]) : undefined;
  const weights = conds > 0 ? g.input("cond_weights", "float", [conds]) : undefined;

  // A scalar index, so Gather drops the steps axis: row [13], noise [B, C, H, W].
  const index = g.node("Reshape", [step, g.int64s([])]);
  const row = g.node("Gather", [table, index], { axis: 0 });
  const parts = g.nodeMulti("Split", [row, g.int64s(STEP_COLUMNS.map(() => 1))], STEP_COLUMN_COUNT, {
    axis: 0,
  });
  const k = (column: StepColumn) => parts[STEP_COLUMNS.indexOf(column)] as string;

  const prediction = castTo(g, noisePred, options.predictionType, "float");
  const m = weights === undefined ? prediction : guided(g, prediction, weights, conds, k("g"));
  const noise = noiseTable === undefined ? undefined : g.node("Gather", [noiseTable, index], { axis: 0 });
  const sum = (...terms: Term[]) => affineSum(g, k, terms);
  const next = sum(["a", sample], ["b", m], ["c", state], ["d", noise]);
  g.output(next, "float", latent, "next_sample");
  g.output(sum(["p", sample], ["q", m], ["r", state]), "float", latent, "next_state");
  g.output(sum(["u", sample], ["v", m], ["w0", state]), "float", latent, "denoised");
  g.output(g.node("Add", [step, g.int64s([1])]), "int64", [1], "next_step");

  const scaled = g.node("Mul", [next, k("cInNext")]);
  const input = conds === 0 ? scaled : g.node("Concat", Array(conds + 1).fill(scaled), { axis: 0 });
  g.output(castTo(g, input, "float", options.modelInputType), options.modelInputType, rows, "model_input");
  const timestep = timestepValue(g, k("tNext"), input, options);
  g.output(timestep.value, options.timestepType, timestep.dims, "timestep");
  const vaeInput = g.node("Mul", [next, g.floats([1 / options.scalingFactor], [], "float")]);
  g.output(castTo(g, vaeInput, "float", options.vaeInputType), options.vaeInputType, latent, "vae_input");
  return g.encode();
}

/** A coefficient column times a value; a value left out (no noise input) drops the term. */
type Term = readonly [StepColumn, string | undefined];

/** `Σ k(column) · value` over the terms given. */
function affineSum(g: GraphBuilder, k: (column: StepColumn) => string, terms: readonly Term[]): string {
  return terms
    .filter((term): term is readonly [StepColumn, string] => term[1] !== undefined)
    .map(([column, value]) => g.node("Mul", [k(column), value]))
    .reduce((total, term) => g.node("Add", [total, term]));
}

/** `m = m_u + g · Σ_i w_i (m_ci − m_u)`, the rows split in equal parts along the batch axis. */
function guided(g: GraphBuilder, prediction: string, weights: string, conds: number, scale: string): string {
  const [uncond, ...condRows] = g.nodeMulti("Split", [prediction], conds + 1, { axis: 0 });
  const weightParts =
    conds === 1
      ? [weights]
      : g.nodeMulti("Split", [weights, g.int64s(condRows.map(() => 1))], conds, { axis: 0 });
  const pull = condRows
    .map((cond, i) => g.node("Mul", [g.node("Sub", [cond, uncond as string]), weightParts[i] as string]))
    .reduce((sum, term) => g.node("Add", [sum, term]));
  return g.node("Add", [uncond as string, g.node("Mul", [pull, scale])]);
}

/**
 * The next UNet call's timestep in the shape and type the UNet declares. One per batch row is made
 * without Shape/Expand: a [rows, 1, 1, 1] slice of the model input, times 0, plus tNext (a NaN latent
 * would turn into a NaN timestep, but such an image is lost either way). Casting float to an integer
 * type truncates, as `timestepTensor` does.
 */
function timestepValue(
  g: GraphBuilder,
  tNext: string,
  modelInput: string,
  options: GuidedStepOptions,
): { value: string; dims: (number | string)[] } {
  let value = tNext;
  let dims: (number | string)[] = [1];
  if (options.timestepShape === "scalar") {
    value = g.node("Reshape", [tNext, g.int64s([])]);
    dims = [];
  } else if (options.timestepShape === "batch") {
    const corner = g.node("Slice", [
      modelInput,
      g.int64s([0, 0, 0]),
      g.int64s([1, 1, 1]),
      g.int64s([1, 2, 3]),
    ]);
    const zeros = g.node("Mul", [g.node("Reshape", [corner, g.int64s([-1])]), g.floats([0], [], "float")]);
    value = g.node("Add", [zeros, tNext]);
    dims = ["unet_batch"];
  }
  return { value: castTo(g, value, "float", options.timestepType), dims };
}

function castTo(g: GraphBuilder, value: string, from: string, to: keyof typeof DataType): string {
  return from === to ? value : g.node("Cast", [value], { to: DataType[to] });
}

function checkOptions(options: GuidedStepOptions): void {
  if (!Number.isInteger(options.conds) || options.conds < 0)
    throw new RangeError(`guided step: conds has to be a whole number ≥ 0, not ${options.conds}`);
  if (!(options.scalingFactor > 0))
    throw new RangeError(`guided step: scalingFactor has to be positive, not ${options.scalingFactor}`);
}

/** Where a model folder keeps the step graph for `options`: `device_step/conds-<N>[-noise].onnx`. */
export function guidedStepModelPath(options: Pick<GuidedStepOptions, "conds" | "noise">): string {
  return join("device_step", `conds-${options.conds}${options.noise ? "-noise" : ""}.onnx`);
}

/**
 * Writes the step graph for `options` into the model folder `dir` at {@link guidedStepModelPath};
 * returns the file's path. The graph is small (a few KB, built in milliseconds), so a runtime may as
 * well build it in memory with {@link buildGuidedStepGraph} for the N and noise a request needs.
 */
export async function writeGuidedStepModel(dir: string, options: GuidedStepOptions): Promise<string> {
  const path = join(dir, guidedStepModelPath(options));
  await mkdir(join(dir, "device_step"), { recursive: true });
  await writeFile(path, buildGuidedStepGraph(options));
  return path;
}
