import { InferenceSession } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphBuilder } from "../../model-builder/graph.ts";
import { ensureTinyControlNet, TINY_SDXL_CONTROLNET } from "../../model-builder/index.ts";
import { gaussian } from "../../model-builder/ort-test-support.ts";
import { TEST_MODEL_CACHE } from "../test-models.ts";
import { type ControlNetInputs, ControlNetSession } from "./controlnet-session.ts";
import { loadControlNet } from "./load-controlnet.ts";

const silent = { info() {}, warn() {} };
const { crossAttentionDim: CONTEXT, addition } = TINY_SDXL_CONTROLNET.unet;
const POOLED = addition?.textEmbedDim as number;

let controlNet: ControlNetSession;
beforeAll(async () => {
  controlNet = await loadControlNet(
    await ensureTinyControlNet(TEST_MODEL_CACHE, "canny-tiny-sdxl", 1, "sdxl"),
    ["cpu"],
    silent,
  );
});
afterAll(async () => {
  await controlNet?.release();
});

/** Two rows (uncond, cond) with different pooled embeddings and size ids, as an SDXL step has them. */
function twoRows(): ControlNetInputs {
  return {
    sample: gaussian(2 * 4 * 8 * 8, 1),
    sampleDims: [2, 4, 8, 8],
    timestep: 500,
    context: gaussian(2 * 77 * CONTEXT, 2),
    contextDims: [2, 77, CONTEXT],
    cond: gaussian(2 * 3 * 64 * 64, 3).map((v) => (v > 0 ? 1 : 0)),
    condDims: [2, 3, 64, 64],
    textEmbeds: gaussian(2 * POOLED, 4),
    timeIds: Float32Array.from([64, 64, 0, 0, 64, 64, 128, 96, 8, 0, 64, 64]),
  };
}

function row(inputs: ControlNetInputs, r: number): ControlNetInputs {
  const half = (data: Float32Array) => data.subarray((r * data.length) / 2, ((r + 1) * data.length) / 2);
  return {
    sample: half(inputs.sample),
    sampleDims: [1, 4, 8, 8],
    timestep: inputs.timestep,
    context: half(inputs.context),
    contextDims: [1, 77, CONTEXT],
    cond: half(inputs.cond),
    condDims: [1, 3, 64, 64],
    textEmbeds: half(inputs.textEmbeds as Float32Array),
    timeIds: half(inputs.timeIds as Float32Array),
  };
}

describe("the ControlNet session with an SDXL ControlNet", () => {
  it("feeds each row its own text_embeds and time_ids: a batch of two gives each row's residuals", async () => {
    const inputs = twoRows();
    const batched = await controlNet.residuals(inputs);
    const rows = [await controlNet.residuals(row(inputs, 0)), await controlNet.residuals(row(inputs, 1))];
    expect(batched.tensors).toHaveLength(10);
    for (const [k, tensor] of batched.tensors.entries()) {
      const joined = [...(rows[0]?.tensors[k]?.data ?? []), ...(rows[1]?.tensors[k]?.data ?? [])];
      const worst = joined.reduce((m, v, i) => Math.max(m, Math.abs(v - (tensor.data[i] as number))), 0);
      expect(worst, `residual ${k}`).toBeLessThan(1e-4);
    }
    // the size ids reach the graph: row 0 with row 1's gives other residuals
    const otherIds = await controlNet.residuals({
      ...row(inputs, 0),
      timeIds: row(inputs, 1).timeIds as Float32Array,
    });
    expect(otherIds.tensors[1]?.data).not.toEqual(rows[0]?.tensors[1]?.data);
  });

  it("refuses to run without the pipeline's added conditioning (an SD 1.x model), naming the input", async () => {
    const { textEmbeds: _, timeIds: __, ...withoutAdded } = row(twoRows(), 0);
    await expect(controlNet.residuals(withoutAdded)).rejects.toThrow(
      /text_embeds.*SDXL's added conditioning/,
    );
  });

  it("refuses an export that takes text_embeds without time_ids", async () => {
    const g = new GraphBuilder("half_sdxl_controlnet");
    const sample = g.input("sample", "float", ["batch", 4, "height", "width"]);
    g.input("timestep", "float", ["batch"]);
    g.input("encoder_hidden_states", "float", ["batch", "sequence", CONTEXT]);
    g.input("controlnet_cond", "float", ["batch", 3, "image_height", "image_width"]);
    g.input("text_embeds", "float", ["batch", POOLED]);
    g.output(g.node("Identity", [sample]), "float", ["batch", 4, "height", "width"], "down_block_0");
    g.output(g.node("Identity", [sample]), "float", ["batch", 4, "height", "width"], "mid_block");
    const session = await InferenceSession.create(g.encode());
    try {
      expect(
        () =>
          new ControlNetSession({
            session,
            file: "half.onnx",
            executionProvider: "cpu",
            externalDataPaths: [],
          }),
      ).toThrow(/takes text_embeds without time_ids/);
    } finally {
      await session.release();
    }
  });
});
