/**
 * `node bench/gpu/profile-unet.ts --model DIR [--provider cuda] [--batch 8] [--size 512] [--runs 3]
 *   [--warmup 2] [--out DIR]`: one SD 1.5 UNet call (CFG: 2 × batch latents) profiled by onnxruntime,
 * summed by operator type and by node, to show which kernels hold throughput down. On CUDA run it as
 * `CUDA_LAUNCH_BLOCKING=1 node bench/gpu/profile-unet.ts …` (see op-profile.ts for why); the table
 * says whether that was set. Writes profile.md, profile.json and profile.svg to --out.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type InferenceSession, InferenceSession as Session } from "onnxruntime-node";
import {
  parseExecutionProviders,
  sessionOptionsFor,
} from "../../backend/src/engine/models/execution-provider-options.ts";
import { findInput, floatTensor, type LoadedSession } from "../../backend/src/engine/models/onnx-session.ts";
import { describeMachine } from "../lib/machine.ts";
import { efficiencyMarkdown, efficiencyRows } from "./efficiency.ts";
import { peakTflops } from "./flops.ts";
import { gpuName } from "./gpu-sampler.ts";
import { profileSvg, summarizeProfile, type TraceEvent } from "./op-profile.ts";

const { values: args } = parseArgs({
  options: {
    model: { type: "string" },
    provider: { type: "string", default: "cuda" },
    batch: { type: "string", default: "8" },
    size: { type: "string", default: "512" },
    runs: { type: "string", default: "3" },
    warmup: { type: "string", default: "2" },
    out: { type: "string", default: ".sdgate/gpu-profile" },
  },
});
const whole = (name: string, min: number) => {
  const value = Number(args[name as keyof typeof args]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return value;
};
if (args.model === undefined)
  throw new Error("--model DIR (a model folder with unet/model.onnx) is required");
const batch = whole("batch", 1);
const sizePx = whole("size", 8);
const runs = whole("runs", 1);
const warmup = whole("warmup", 0);
const outDir = resolve(args.out);
mkdirSync(outDir, { recursive: true });

const [spec] = parseExecutionProviders([args.provider]);
if (spec === undefined) throw new Error(`--provider '${args.provider}' names no provider`);
const prefix = join(outDir, "ort-trace");
const session = await Session.create(join(args.model, "unet", "model.onnx"), {
  ...sessionOptionsFor(spec),
  enableProfiling: true,
  profileFilePrefix: prefix,
});
const loaded: LoadedSession = {
  session,
  file: "unet/model.onnx",
  executionProvider: spec.name,
  externalDataPaths: [],
};
const latentPx = sizePx / 8;
const contextMeta = findInput(loaded, ["encoder_hidden_states"]);
const hidden = Number(contextMeta.isTensor ? contextMeta.shape.at(-1) : 768) || 768;
const wave = (count: number, seed: number) =>
  Float32Array.from({ length: count }, (_, i) => Math.sin((i + 1) * 12.9898 + seed));
const feeds = {
  sample: floatTensor(findInput(loaded, ["sample"]), wave(2 * batch * 4 * latentPx ** 2, 1), [
    2 * batch,
    4,
    latentPx,
    latentPx,
  ]),
  timestep: floatTensor(findInput(loaded, ["timestep"]), new Float32Array(2 * batch).fill(500), [2 * batch]),
  encoder_hidden_states: floatTensor(contextMeta, wave(2 * batch * 77 * hidden, 2), [2 * batch, 77, hidden]),
} as InferenceSession.FeedsType;
for (let i = 0; i < warmup + runs; i++) await session.run(feeds);
session.endProfiling();
await session.release();
// The Node binding returns nothing from endProfiling: the trace is `<prefix>_<date>.json`, the newest.
const traceFile = readdirSync(outDir)
  .filter((name) => name.startsWith("ort-trace") && name.endsWith(".json"))
  .map((name) => join(outDir, name))
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
if (traceFile === undefined) throw new Error(`onnxruntime wrote no profile under ${outDir}`);

const events = JSON.parse(readFileSync(traceFile, "utf8")) as TraceEvent[];
rmSync(traceFile); // hundreds of MB for a full UNet; the summary is what matters
const profile = summarizeProfile(events, runs);
const blocking = process.env.CUDA_LAUNCH_BLOCKING === "1";
const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
const lines = [
  `UNet call: ${2 * batch} latents (batch ${batch} with CFG), ${sizePx}×${sizePx}, ${args.provider}, ${runs} runs after ${warmup} warm-up, ${new Date().toISOString().slice(0, 10)}, ${gpuName() ?? "no GPU"}, ${describeMachine()}.`,
  spec.name === "cuda"
    ? blocking
      ? "CUDA_LAUNCH_BLOCKING=1: node times include their kernels' GPU time."
      : "**CUDA_LAUNCH_BLOCKING was not set: node times are kernel launch times, not GPU time.**"
    : "",
  "",
  `model_run median ${ms(profile.runUsMedian)}; node times sum to ${ms(profile.nodeUsPerRun)} per run.`,
  "",
  "| operator | per run | nodes per run | share |",
  "| --- | ---: | ---: | ---: |",
  ...profile.byType.map(
    (t) => `| ${t.opType} | ${ms(t.totalUs)} | ${t.nodesPerRun} | ${(100 * t.share).toFixed(1)} % |`,
  ),
  "",
  "| slowest nodes | operator | per run | share |",
  "| --- | --- | ---: | ---: |",
  ...profile.topNodes.map(
    (n) => `| ${n.node} | ${n.opType} | ${ms(n.meanUs)} | ${(100 * n.share).toFixed(1)} % |`,
  ),
];
if (isSd15FullSize(args.model))
  lines.push(
    "",
    efficiencyMarkdown(
      efficiencyRows(profile, { latents: 2 * batch, latentPx, peakTflops: peakTflops(gpuName()) }),
    ),
  );
const markdown = lines.join("\n");
writeFileSync(join(outDir, "profile.md"), `${markdown}\n`);
writeFileSync(join(outDir, "profile.json"), `${JSON.stringify(profile, null, 2)}\n`);
writeFileSync(
  join(outDir, "profile.svg"),
  profileSvg(
    profile,
    `Where one UNet call's time goes (${args.provider}, ${2 * batch} latents)`,
    `${sizePx}² × ${2 * batch}`,
  ),
);
console.log(markdown);

/** Only SD 1.5's own widths make unet-flops.ts's count true (a dry-run model is narrower). */
function isSd15FullSize(modelDir: string): boolean {
  try {
    const config = JSON.parse(readFileSync(join(modelDir, "unet", "config.json"), "utf8"));
    return (
      JSON.stringify(config.block_out_channels) === "[320,640,1280,1280]" &&
      config.cross_attention_dim === 768
    );
  } catch {
    return false;
  }
}
