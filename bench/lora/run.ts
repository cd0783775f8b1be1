/**
 * `npm run bench:lora`: LoRA per request against the merged model, on CPU, with SD 1.5's full
 * architecture (seeded random weights) at a reduced size. Builds three models once (in
 * `.sdgate/bench-lora`): the plain one, the same with LoRA inputs, and the same with a rank-R
 * attention LoRA merged at build time; then measures
 *   (i)  time to first image with a new LoRA set (a pipeline on the model with LoRA inputs), against
 *        the same request with the set already prepared and with no LoRA;
 *   (ii) one UNet call (a CFG step: batch 2) on each model, interleaved, median of the runs, as
 *        ratios to the plain model measured in the same run.
 *
 *   npm run bench:lora -- [--size 256] [--rank 32] [--runs 5] [--steps 4]
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadPipeline } from "../../backend/src/engine/index.ts";
import { readLoraAdapters } from "../../backend/src/engine/lora/lora-adapters.ts";
import { loraSetFeeds } from "../../backend/src/engine/lora/lora-set.ts";
import { writeTestLora } from "../../backend/src/engine/lora/lora-test-support.ts";
import { createSession, type LoadedSession } from "../../backend/src/engine/models/onnx-session.ts";
import { TextEncoderSession } from "../../backend/src/engine/models/text-encoder.ts";
import { type UNetInputs, UNetSession } from "../../backend/src/engine/models/unet.ts";
import { gaussian } from "../../backend/src/model-builder/ort-test-support.ts";
import { buildSd15FullSize, type FullSizeOptions } from "../../backend/src/model-builder/sd15-full-size.ts";
import { WeightSource } from "../../backend/src/model-builder/weights.ts";
import { LoraFile } from "../../backend/src/model-import/lora.ts";
import { describeMachine } from "../lib/machine.ts";
import { median } from "../lib/stats.ts";
import { attentionAdapters } from "./attention-lora.ts";
import { MergedWeights } from "./merged-weights.ts";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const { values: args } = parseArgs({
  options: {
    size: { type: "string", default: "256" },
    rank: { type: "string", default: "32" },
    runs: { type: "string", default: "5" },
    steps: { type: "string", default: "4" },
  },
});
const [size, rank, runs, steps] = [args.size, args.rank, args.runs, args.steps].map(Number) as number[];
for (const [name, value] of Object.entries({ size, rank, runs, steps }))
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new Error(`--${name} must be a positive integer`);

const dir = join(REPO_ROOT, ".sdgate", "bench-lora");
mkdirSync(dir, { recursive: true });
const log = (line: string) => console.error(`[bench:lora] ${line}`);
const silent = { info() {}, warn() {} };
const SEED = 1234;

// The LoRA: rank R on every attention projection (kohya layout, alpha = R / 2).
const loraPath = join(dir, `attention-r${rank}.safetensors`);
if (!existsSync(loraPath)) writeTestLora(loraPath, attentionAdapters(rank as number), 77);
const digest = createHash("sha256").update(readFileSync(loraPath)).digest("hex");

const buildSecondsFile = join(dir, "build-seconds.json");
const buildSeconds: Record<string, number> = existsSync(buildSecondsFile)
  ? JSON.parse(readFileSync(buildSecondsFile, "utf8"))
  : {};
async function ensureModel(name: string, options: Omit<FullSizeOptions, "dtype">): Promise<string> {
  const out = join(dir, name);
  if (existsSync(join(out, "unet", "model.onnx"))) return out;
  log(`building ${name} (full SD 1.5 architecture, float32, random weights)`);
  const startedMs = performance.now();
  await buildSd15FullSize(out, { dtype: "float32", seed: SEED, ...options });
  buildSeconds[name] = (performance.now() - startedMs) / 1000;
  writeFileSync(buildSecondsFile, JSON.stringify(buildSeconds));
  return out;
}
const plainDir = await ensureModel("plain", {});
const inputsDir = await ensureModel("with-lora-inputs", { loraInputs: "linear" });
const mergedName = `merged-r${rank}`;
const mergedLora = LoraFile.open(loraPath, 1);
const mergedDir = await ensureModel(mergedName, {
  // the random build's seeds per network (sd15-full-size.ts): text encoder +1, UNet +3, VAE +4
  weights: {
    textEncoder: new MergedWeights(new WeightSource(SEED + 1), mergedLora, "text_encoder"),
    unet: new MergedWeights(new WeightSource(SEED + 3), mergedLora, "unet"),
    vae: new WeightSource(SEED + 4),
    unetInChannels: 4,
  },
});
mergedLora.close();

// (ii) steady state: one CFG step's UNet call on each model, interleaved so that load on the machine
// falls on all of them alike.
const opened: LoadedSession[] = [];
/** Seconds each UNet session took to create: what a session per LoRA set would cost per new set. */
const sessionSeconds: number[] = [];
const open = async (modelDir: string, file: string) => {
  const startedMs = performance.now();
  const loaded = await createSession(modelDir, file, ["cpu"], silent);
  if (file.startsWith("unet/")) sessionSeconds.push((performance.now() - startedMs) / 1000);
  opened.push(loaded);
  return loaded;
};
const openUNet = async (modelDir: string) => new UNetSession(await open(modelDir, "unet/model.onnx"));
log("loading the UNets");
const plain = await openUNet(plainDir);
const merged = await openUNet(mergedDir);
const withInputs = await openUNet(inputsDir);
const textEncoder = new TextEncoderSession(await open(inputsDir, "text_encoder/model.onnx"), {
  penultimate: false,
  pooled: false,
});
const lora = { name: "attention", digest, weight: 1, path: loraPath };
const prepareStartedMs = performance.now();
const [unetFeeds] = loraSetFeeds(
  [
    { target: "unet", slots: withInputs.adapterSlots },
    { target: "text_encoder", slots: textEncoder.adapterSlots },
  ],
  [{ lora, adapters: readLoraAdapters(loraPath) }],
);
const prepareMs = performance.now() - prepareStartedMs;
const adapted = withInputs.withAdapters(unetFeeds ?? {});
const latent = (size as number) / 8;
const call: UNetInputs = {
  sample: gaussian(2 * 4 * latent * latent, 5),
  sampleDims: [2, 4, latent, latent],
  timestep: 500,
  context: gaussian(2 * 77 * 768, 6),
  contextDims: [2, 77, 768],
};
const configs: [string, UNetSession][] = [
  ["plain model (no LoRA inputs)", plain],
  [`rank-${rank} LoRA merged at build time`, merged],
  ["LoRA inputs, no LoRA (empty set)", withInputs],
  [`LoRA inputs, rank-${rank} LoRA per request`, adapted],
];
const outputs = new Map<string, Float32Array>();
for (const [name, unet] of configs) {
  log(`warm-up: ${name}`);
  outputs.set(name, await unet.predict(call));
}
const relative = (a: Float32Array | undefined, b: Float32Array | undefined) => {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < (b?.length ?? 0); i++) {
    worst = Math.max(worst, Math.abs((a?.[i] as number) - (b?.[i] as number)));
    scale = Math.max(scale, Math.abs(b?.[i] as number));
  }
  return worst / scale;
};
const perRequestVsMerged = relative(outputs.get(configs[3]?.[0] ?? ""), outputs.get(configs[1]?.[0] ?? ""));
const emptyVsPlain = relative(outputs.get(configs[2]?.[0] ?? ""), outputs.get(configs[0]?.[0] ?? ""));
const times = new Map<string, number[]>(configs.map(([name]) => [name, []]));
for (let run = 0; run < (runs as number); run++) {
  // a different order each run, so no configuration always follows another
  const order = configs.map((_, i) => configs[(i + run) % configs.length] as [string, UNetSession]);
  for (const [name, unet] of order) {
    const startedMs = performance.now();
    await unet.predict(call);
    times.get(name)?.push(performance.now() - startedMs);
  }
  log(`run ${run + 1}/${runs}`);
}
// (i) time to first image: a pipeline on the model with LoRA inputs (the sessions above released
// first, to keep one copy of the weights in memory).
await Promise.all(opened.map((loaded) => loaded.session.release()));
const pipeline = await loadPipeline(inputsDir, { executionProviders: ["cpu"] });
const request = {
  prompt: "a lighthouse on a cliff at sunset",
  width: size as number,
  height: size as number,
  steps: steps as number,
  guidanceScale: 7.5,
  seed: 1,
};
const timeImage = async (loras?: (typeof lora)[]) => {
  const startedMs = performance.now();
  await pipeline.generate({ ...request, ...(loras === undefined ? {} : { lora: loras }) });
  return performance.now() - startedMs;
};
log("time to first image");
await timeImage(); // warm-up
const noLora = await timeImage();
const firstWithNewSet = await timeImage([lora]);
const sameSetAgain = await timeImage([lora]);
const secondNewSet = await timeImage([{ ...lora, weight: 0.8 }]);
await pipeline.release();

const ms = (value: number) => `${value.toFixed(0)} ms`;
const plainMedian = median(times.get(configs[0]?.[0] ?? "") ?? []);
const mergedMedian = median(times.get(configs[1]?.[0] ?? "") ?? []);
const lines = [
  `LoRA per request, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${describeMachine()}, CPU provider, SD 1.5 architecture (float32, random weights), ${size}×${size}, rank-${rank} LoRA on every UNet and CLIP attention projection (${attentionAdapters(rank as number).length} layers).`,
  "",
  `(ii) one UNet call with CFG (batch 2), median of ${runs} interleaved runs after a warm-up:`,
  "",
  "| model | UNet call | vs plain | vs merged | fastest – slowest run |",
  "| --- | --- | --- | --- | --- |",
  ...configs.map(([name]) => {
    const m = median(times.get(name) ?? []);
    const all = times.get(name) ?? [];
    return `| ${name} | ${ms(m)} | ${(m / plainMedian).toFixed(3)} | ${(m / mergedMedian).toFixed(3)} | ${ms(Math.min(...all))} – ${ms(Math.max(...all))} |`;
  }),
  "",
  `Per-request LoRA vs merged model, UNet output: max relative difference ${perRequestVsMerged.toExponential(1)}; empty set vs plain model: ${emptyVsPlain.toExponential(1)}. Building the set's feeds from the file: ${ms(prepareMs)}.`,
  "",
  `(i) time to an image, ${steps} steps, CFG 7.5, on the model with LoRA inputs (after one warm-up image):`,
  "",
  "| request | time |",
  "| --- | --- |",
  `| no LoRA | ${ms(noLora)} |`,
  `| first image with a new LoRA set (file read, feeds built) | ${ms(firstWithNewSet)} |`,
  `| same set again (feeds cached) | ${ms(sameSetAgain)} |`,
  `| another new set (same file, weight 0.8) | ${ms(secondNewSet)} |`,
  "",
  `A UNet session per LoRA set would cost a session's creation per new set; creating these three took ${sessionSeconds.map((x) => `${x.toFixed(1)} s`).join(", ")}.`,
  ...(buildSeconds[mergedName] === undefined
    ? []
    : [
        `Merging the LoRA at build time (a full model build, when this run built it): ${buildSeconds[mergedName].toFixed(0)} s.`,
      ]),
];
console.log(lines.join("\n"));
