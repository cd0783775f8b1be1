import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnx from "onnx-proto";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { applyLinearStep, tableRow } from "../engine/device-loop/apply-linear-step.ts";
import { STEP_COLUMN_COUNT } from "../engine/device-loop/linear-step.ts";
import {
  configuredScheduler,
  fakeModel,
  hostLoop,
  LATENT_DIMS,
  LATENT_SIZE,
  type LoopCase,
  relativeError,
  startLatents,
} from "../engine/device-loop/loop-test-support.ts";
import { buildStepTable } from "../engine/device-loop/step-coefficients.ts";
import { drawStepNoise } from "../engine/device-loop/step-noise.ts";
import { createGenerator } from "../engine/rng/torch-generator.ts";
import { SD15_CONFIG } from "../engine/schedulers/diffusers-test-dummies.ts";
import { buildGuidedStepGraph, type GuidedStepOptions, writeGuidedStepModel } from "./guided-step-graph.ts";
import { type FloatDtype, floatTensor, floatValues, gaussian } from "./ort-test-support.ts";

const float32Options: GuidedStepOptions = {
  conds: 1,
  noise: true,
  predictionType: "float",
  modelInputType: "float",
  timestepType: "float",
  timestepShape: "one",
  vaeInputType: "float",
  scalingFactor: 0.18215,
};

const dtypeOf = (type: string): FloatDtype => (type === "float16" ? "float16" : "float32");

/** Two images of 2×3×3 latents, and a 3-step table of arbitrary coefficients. */
const batch = 2;
const dims = [batch, 2, 3, 3];
const size = batch * 18;
const steps = 3;
const table = gaussian(steps * STEP_COLUMN_COUNT, 11);
const noiseTable = gaussian(steps * size, 12);

async function runGraph(options: GuidedStepOptions, condWeights: readonly number[], step: number) {
  const rows = options.conds + 1;
  const noisePred = gaussian(rows * size, 13);
  const sample = gaussian(size, 14);
  const state = gaussian(size, 15);
  const session = await InferenceSession.create(buildGuidedStepGraph(options));
  try {
    const outputs = await session.run({
      noise_pred: floatTensor(noisePred, [rows * batch, ...dims.slice(1)], dtypeOf(options.predictionType)),
      sample: new Tensor("float32", sample, dims),
      state: new Tensor("float32", state, dims),
      step: new Tensor("int64", BigInt64Array.from([BigInt(step)]), [1]),
      coefficients: new Tensor("float32", table, [steps, STEP_COLUMN_COUNT]),
      ...(options.noise ? { noise: new Tensor("float32", noiseTable, [steps, ...dims]) } : {}),
      ...(options.conds > 0
        ? { cond_weights: new Tensor("float32", Float32Array.from(condWeights), [options.conds]) }
        : {}),
    });
    const row = tableRow(table, step);
    const expected = applyLinearStep({
      // the graph reads float16 predictions rounded: so does the reference
      noisePred: floatValues(floatTensor(noisePred, [noisePred.length], dtypeOf(options.predictionType))),
      sample,
      state,
      ...(options.noise ? { noise: noiseTable.subarray(step * size, (step + 1) * size) } : {}),
      condWeights,
      row,
    });
    return { outputs, expected, row, rows };
  } finally {
    await session.release();
  }
}

function values(outputs: InferenceSession.ReturnType, name: string): Float32Array {
  const tensor = outputs[name] as Tensor;
  if (tensor.type === "int64" || tensor.type === "int32")
    return Float32Array.from(tensor.data as ArrayLike<number | bigint>, Number);
  return floatValues(tensor);
}

describe("guided step graph", () => {
  it("matches the float64 reference with two weighted prompts, noise and a per-row int64 timestep", async () => {
    const options = { ...float32Options, conds: 2, timestepType: "int64", timestepShape: "batch" } as const;
    const { outputs, expected, row, rows } = await runGraph(options, [0.7, 0.3], 1);
    expect(relativeError(values(outputs, "next_sample"), expected.nextSample)).toBeLessThan(1e-6);
    expect(relativeError(values(outputs, "next_state"), expected.nextState)).toBeLessThan(1e-6);
    expect(relativeError(values(outputs, "denoised"), expected.denoised)).toBeLessThan(1e-6);
    const modelInput = values(outputs, "model_input");
    expect(modelInput).toHaveLength(rows * size);
    for (let j = 0; j < rows; j++) {
      const copy = modelInput.subarray(j * size, (j + 1) * size);
      expect(
        relativeError(
          copy,
          expected.nextSample.map((x) => x * row.cInNext),
        ),
      ).toBeLessThan(1e-6);
    }
    expect((outputs.timestep as Tensor).dims).toEqual([rows * batch]);
    expect(Array.from(values(outputs, "timestep"))).toEqual(Array(rows * batch).fill(Math.trunc(row.tNext)));
    expect(
      relativeError(
        values(outputs, "vae_input"),
        expected.nextSample.map((x) => x / 0.18215),
      ),
    ).toBeLessThan(1e-6);
    expect(Array.from((outputs.next_step as Tensor).data as BigInt64Array)).toEqual([2n]);
  });

  it("runs unguided (N = 0) without noise, ignoring g and d, with a scalar timestep", async () => {
    const options = { ...float32Options, conds: 0, noise: false, timestepShape: "scalar" } as const;
    const { outputs, expected, row } = await runGraph(options, [], 2);
    expect(relativeError(values(outputs, "next_sample"), expected.nextSample)).toBeLessThan(1e-6);
    expect(
      relativeError(
        values(outputs, "model_input"),
        expected.nextSample.map((x) => x * row.cInNext),
      ),
    ).toBeLessThan(1e-6);
    expect((outputs.timestep as Tensor).dims).toEqual([]);
    expect(values(outputs, "timestep")[0]).toBe(row.tNext);
  });

  it("reads float16 predictions and writes float16 UNet and VAE inputs within float16 precision", async () => {
    const half = "float16" as const;
    const options = {
      ...float32Options,
      predictionType: half,
      modelInputType: half,
      timestepType: half,
      vaeInputType: half,
      scalingFactor: 0.13025,
    };
    const { outputs, expected, row } = await runGraph(options, [1], 0);
    expect(relativeError(values(outputs, "next_sample"), expected.nextSample)).toBeLessThan(1e-6);
    expect((outputs.model_input as Tensor).type).toBe("float16");
    const modelInput = values(outputs, "model_input");
    expect(
      relativeError(
        modelInput.subarray(0, size),
        expected.nextSample.map((x) => x * row.cInNext),
      ),
    ).toBeLessThan(1e-3);
    expect(
      relativeError(
        values(outputs, "vae_input"),
        expected.nextSample.map((x) => x / 0.13025),
      ),
    ).toBeLessThan(1e-3);
    expect(values(outputs, "timestep")[0]).toBeCloseTo(row.tNext, 1);
  });

  it("has no shape-computing ops, and every shape, axis and size it uses is a constant (CUDA graphs)", () => {
    for (const conds of [0, 1, 3]) {
      const model = onnx.onnx.ModelProto.decode(
        buildGuidedStepGraph({ ...float32Options, conds, timestepShape: "batch" }),
      );
      const nodes = model.graph?.node ?? [];
      const constants = new Set((model.graph?.initializer ?? []).map((i) => i.name));
      const ops = new Set(nodes.map((n) => n.opType));
      for (const op of ["Shape", "Size", "NonZero", "ConstantOfShape", "Expand", "If", "Loop"])
        expect(ops.has(op), op).toBe(false);
      for (const node of nodes.filter((n) => ["Reshape", "Slice", "Split"].includes(n.opType ?? ""))) {
        for (const input of (node.input ?? []).slice(1))
          expect(constants.has(input), `${node.opType} ${input}`).toBe(true);
      }
    }
  });
});

describe("writeGuidedStepModel", () => {
  it("writes device_step/conds-<N>[-noise].onnx into the model folder, with the inputs its options call for", async () => {
    const dir = await mkdtemp(join(tmpdir(), "guided-step-"));
    try {
      const withNoise = await writeGuidedStepModel(dir, { ...float32Options, conds: 2 });
      expect(withNoise).toBe(join(dir, "device_step", "conds-2-noise.onnx"));
      const plain = await writeGuidedStepModel(dir, { ...float32Options, conds: 0, noise: false });
      expect(plain).toBe(join(dir, "device_step", "conds-0.onnx"));
      const session = await InferenceSession.create(withNoise);
      expect([...session.inputNames].sort()).toEqual(
        ["coefficients", "cond_weights", "noise", "noise_pred", "sample", "state", "step"].sort(),
      );
      expect([...session.outputNames].sort()).toEqual(
        ["denoised", "model_input", "next_sample", "next_state", "next_step", "timestep", "vae_input"].sort(),
      );
      await session.release();
      const unguided = await InferenceSession.create(plain);
      expect(unguided.inputNames).not.toContain("noise");
      expect(unguided.inputNames).not.toContain("cond_weights");
      await unguided.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** The device loop on the graph: each step's outputs are the next step's inputs, as on the GPU. */
async function graphLoop(loop: LoopCase) {
  const scheduler = configuredScheduler(loop);
  const plan = buildStepTable(scheduler, { guidanceScale: loop.guidanceScale });
  const noise = drawStepNoise(scheduler, createGenerator(loop.seed), LATENT_DIMS);
  const rows = loop.condWeights.length + 1;
  const session = await InferenceSession.create(
    buildGuidedStepGraph({ ...float32Options, conds: rows - 1, noise: plan.stochastic }),
  );
  const records: { sample: Float32Array; denoised: Float32Array }[] = [];
  try {
    const start = startLatents(scheduler, loop.seed);
    let feeds: Record<string, Tensor> = {
      sample: new Tensor("float32", start, LATENT_DIMS),
      state: new Tensor("float32", new Float32Array(LATENT_SIZE), LATENT_DIMS),
      step: new Tensor("int64", BigInt64Array.from([0n]), [1]),
    };
    let modelInput: Float32Array = new Float32Array(rows * LATENT_SIZE).map(
      (_, i) => (start[i % LATENT_SIZE] as number) * plan.cIn0,
    );
    let timestep = plan.t0;
    const constant = {
      coefficients: new Tensor("float32", plan.table, [plan.steps, STEP_COLUMN_COUNT]),
      cond_weights: new Tensor("float32", Float32Array.from(loop.condWeights), [rows - 1]),
      ...(plan.stochastic ? { noise: new Tensor("float32", noise, [plan.steps, ...LATENT_DIMS]) } : {}),
    };
    for (let k = 0; k < plan.steps; k++) {
      const noisePred = fakeModel(modelInput, timestep, rows);
      const out = await session.run({
        ...feeds,
        ...constant,
        noise_pred: new Tensor("float32", noisePred, [rows, ...LATENT_DIMS.slice(1)]),
      });
      records.push({ sample: values(out, "next_sample"), denoised: values(out, "denoised") });
      feeds = {
        sample: out.next_sample as Tensor,
        state: out.next_state as Tensor,
        step: out.next_step as Tensor,
      };
      modelInput = values(out, "model_input");
      timestep = values(out, "timestep")[0] as number;
    }
  } finally {
    await session.release();
  }
  return records;
}

describe("a denoising loop driven by the step graph", () => {
  for (const scheduler of ["euler_a", "dpmpp_2m_karras"]) {
    it(`${scheduler}: follows the host scheduler loop within 1e-4 at every step`, async () => {
      const loop: LoopCase = {
        scheduler,
        config: SD15_CONFIG,
        steps: 8,
        seed: 21,
        condWeights: [1],
        guidanceScale: 7.5,
      };
      const host = hostLoop(loop);
      const device = await graphLoop(loop);
      host.forEach((expected, k) => {
        expect(relativeError(device[k]?.sample ?? [], expected.sample), `step ${k}`).toBeLessThan(1e-4);
        expect(relativeError(device[k]?.denoised ?? [], expected.denoised), `step ${k} x0`).toBeLessThan(
          1e-4,
        );
      });
    });
  }
});
