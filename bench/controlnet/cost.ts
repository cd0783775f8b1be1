/**
 * `node bench/controlnet/cost.ts`: what one ControlNet call costs against one UNet step, the factor
 * pricing charges per active unit-step (shared/src/controlnet-cost.ts). Builds the SD 1.5 UNet and its
 * ControlNet with random weights at 1/`--divisor` of SD 1.5's widths (the ratio of their work does not
 * depend much on width: both are the same blocks), runs each on one CPU thread with a CFG batch of 2,
 * interleaved, and prints the fastest run of each and their ratio.
 *
 *   node bench/controlnet/cost.ts [--divisor 4] [--size 256] [--runs 5]
 */
import { parseArgs } from "node:util";
import { InferenceSession, Tensor } from "onnxruntime-node";
import {
  buildControlNet,
  FreshControlNetWeights,
  WeightSource,
} from "../../backend/src/model-builder/index.ts";
import { sd15ControlNet, sd15UNet } from "../../backend/src/model-builder/sd15-architecture.ts";
import { buildUNet2DCondition } from "../../backend/src/model-builder/unet-2d-condition.ts";

const { values: args } = parseArgs({
  options: {
    divisor: { type: "string", default: "4" },
    size: { type: "string", default: "256" },
    runs: { type: "string", default: "5" },
  },
});
const divisor = Number(args.divisor);
const size = Number(args.size);
const runs = Number(args.runs);
const unetConfig = sd15UNet(divisor);
const latent = size / 8;
const batch = 2;

const random = (count: number) => Float32Array.from({ length: count }, (_, i) => Math.sin(i * 12.9898) * 0.5);
const common = {
  sample: new Tensor("float32", random(batch * 4 * latent * latent), [batch, 4, latent, latent]),
  timestep: new Tensor("float32", new Float32Array(batch).fill(500), [batch]),
  encoder_hidden_states: new Tensor("float32", random(batch * 77 * unetConfig.crossAttentionDim), [
    batch,
    77,
    unetConfig.crossAttentionDim,
  ]),
};

/** One thread, runs interleaved, the fastest of each: robust to other work on a shared machine. */
async function session(model: Uint8Array): Promise<InferenceSession> {
  return InferenceSession.create(model, { executionProviders: ["cpu"], intraOpNumThreads: 1 });
}

const unetSession = await session(buildUNet2DCondition(new WeightSource(1), unetConfig));
const controlNetSession = await session(
  buildControlNet(new FreshControlNetWeights(new WeightSource(2)), { ...sd15ControlNet(), unet: unetConfig }),
);
const controlFeeds = {
  ...common,
  controlnet_cond: new Tensor("float32", random(batch * 3 * size * size), [batch, 3, size, size]),
};
const timed = async (run: () => Promise<unknown>) => {
  const started = performance.now();
  await run();
  return performance.now() - started;
};
await unetSession.run(common);
await controlNetSession.run(controlFeeds);
const unetTimes: number[] = [];
const controlNetTimes: number[] = [];
for (let i = 0; i < runs; i++) {
  unetTimes.push(await timed(() => unetSession.run(common)));
  controlNetTimes.push(await timed(() => controlNetSession.run(controlFeeds)));
}
const unetMs = Math.min(...unetTimes);
const controlNetMs = Math.min(...controlNetTimes);
console.log(
  `SD 1.5 widths / ${divisor}, ${size}×${size}, batch ${batch}, CPU (1 thread), fastest of ${runs} interleaved: ` +
    `UNet ${unetMs.toFixed(1)} ms, ControlNet ${controlNetMs.toFixed(1)} ms, ratio ${(controlNetMs / unetMs).toFixed(3)}`,
);
