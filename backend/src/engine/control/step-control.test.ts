import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createSession } from "../models/onnx-session.ts";
import { UNetSession } from "../models/unet.ts";
import { testPattern } from "../test-models.ts";
import { residualScales, rowWeights, unitActive } from "./control-scales.ts";
import type { ControlNetUnit } from "./control-unit.ts";
import type { ControlNetSession } from "./controlnet-session.ts";
import { loadControlNet } from "./load-controlnet.ts";
import { stepControl } from "./step-control.ts";
import { TEST_RESIDUALS, tinyControlModelDir, writeTestControlNet } from "./test-control-models.ts";

const silent = { info() {}, warn() {} };
const SIZE = 32;
let named: ControlNetSession;
let positional: ControlNetSession;
let other: ControlNetSession;
let batchOfOne: ControlNetSession;
let unet: UNetSession;

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), "sdgate-controlnet-"));
  named = await loadControlNet(await writeTestControlNet(root, "named", "named"), ["cpu"], silent);
  positional = await loadControlNet(
    await writeTestControlNet(root, "positional", "positional"),
    ["cpu"],
    silent,
  );
  other = await loadControlNet(await writeTestControlNet(root, "other", "named", -3), ["cpu"], silent);
  batchOfOne = await loadControlNet(await writeTestControlNet(root, "one", "named", 1, 1), ["cpu"], silent);
  unet = new UNetSession(
    await createSession(await tinyControlModelDir(), "cnet/model.onnx", ["cpu"], silent),
  );
});
afterAll(async () => {
  await Promise.all([named, positional, other, batchOfOne].map((session) => session?.release()));
});

function unit(controlNet: ControlNetSession, overrides: Partial<ControlNetUnit> = {}): ControlNetUnit {
  return {
    controlNet,
    map: testPattern(SIZE, SIZE),
    weight: 1,
    guidanceStart: 0,
    guidanceEnd: 1,
    controlMode: "balanced",
    record: {
      module: "none",
      model: "test",
      digest: "0".repeat(64),
      resizeMode: "just_resize",
      imageSha256: "",
    },
    ...overrides,
  };
}

const h = SIZE / 8;
function inputs(rows: number, step = 0, steps = 4) {
  return {
    step,
    steps,
    sample: new Float32Array(rows * 4 * h * h).fill(0.1),
    sampleDims: [rows, 4, h, h] as const,
    timestep: 500,
    context: new Float32Array(rows * 8 * 32).fill(0.01),
    contextDims: [rows, 8, 32] as const,
  };
}

async function residuals(units: ControlNetUnit[], rows = 2, step = 0, steps = 4) {
  return stepControl(units, unet, { hires: false }).residualsAt(inputs(rows, step, steps));
}

describe("ControlNet residuals per step", () => {
  it("reads onnx-web's positional outputs as the named layout's down blocks then mid block", async () => {
    expect(named.residualCount).toBe(TEST_RESIDUALS);
    expect(positional.residualCount).toBe(TEST_RESIDUALS);
    expect(unet.residualCount).toBe(TEST_RESIDUALS);
    const a = await residuals([unit(named)]);
    const b = await residuals([unit(positional)]);
    expect(b?.tensors.map((t) => [...t.data])).toEqual(a?.tensors.map((t) => [...t.data]));
    // an export with its batch fixed at 1 runs once per row, with the same result
    const c = await residuals([unit(batchOfOne)]);
    expect(c?.tensors.map((t) => [...t.data])).toEqual(a?.tensors.map((t) => [...t.data]));
    expect(c?.tensors[0]?.dims[0]).toBe(2);
    // residual k of the test graph is (k + 1) times the first: the order survived
    const first = a?.tensors[0]?.data as Float32Array;
    const last = a?.tensors[TEST_RESIDUALS - 1]?.data as Float32Array;
    expect(first.some((v) => v !== 0)).toBe(true);
    for (let i = 0; i < first.length; i++)
      expect(last[i]).toBeCloseTo((first[i] as number) * TEST_RESIDUALS, 5);
  });

  it("scales by weight, and two units add up", async () => {
    const one = await residuals([unit(named)]);
    const half = await residuals([unit(named, { weight: 0.5 })]);
    const second = await residuals([unit(other, { weight: 0.7 })]);
    const both = await residuals([unit(named), unit(other, { weight: 0.7 })]);
    one?.tensors.forEach((t, block) => {
      t.data.forEach((v, i) => {
        expect(half?.tensors[block]?.data[i]).toBeCloseTo(v * 0.5, 6);
        expect(both?.tensors[block]?.data[i]).toBeCloseTo(v + (second?.tensors[block]?.data[i] as number), 5);
      });
    });
  });

  it("each control mode scales blocks and rows as A1111 does", async () => {
    const balanced = await residuals([unit(named, { weight: 0.8 })]);
    const prompt = await residuals([unit(named, { weight: 0.8, controlMode: "prompt" })]);
    const control = await residuals([unit(named, { weight: 0.8, controlMode: "controlnet" })]);
    const rowSize = (balanced?.tensors[0]?.data.length as number) / 2;
    balanced?.tensors.forEach((t, block) => {
      const soft = 0.825 ** (12 - block);
      t.data.forEach((v, i) => {
        expect(prompt?.tensors[block]?.data[i]).toBeCloseTo(v * soft, 6);
        // "ControlNet is more important": soft too, and nothing on the unconditional row
        expect(control?.tensors[block]?.data[i]).toBeCloseTo(i < rowSize ? 0 : v * soft, 6);
      });
    });
    expect(residualScales(1, "prompt", 13)).toEqual(Array.from({ length: 13 }, (_, i) => 0.825 ** (12 - i)));
    expect(residualScales(1, "prompt", 10).at(-1)).toBeCloseTo(0.825 ** 3, 12);
    expect(residualScales(1, "balanced", 13, true)[0]).toBeCloseTo(0.825 ** 12, 12);
    expect(rowWeights("controlnet", 1, false)).toEqual([1]);
  });

  it("a unit acts only inside its guidance window, both ends included, and not at weight 0", async () => {
    expect([0, 1, 2, 3].map((step) => unitActive(step, 4, 0.5, 1))).toEqual([false, false, true, true]);
    expect([0, 1, 2, 3].map((step) => unitActive(step, 4, 0, 0.25))).toEqual([true, true, false, false]);
    expect(await residuals([unit(named, { guidanceStart: 0.5 })], 2, 1)).toBeUndefined();
    expect(await residuals([unit(named, { guidanceStart: 0.5 })], 2, 2)).toBeDefined();
    const spy = vi.spyOn(named, "residuals");
    expect(await residuals([unit(named, { weight: 0 })])).toBeUndefined();
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });
});
