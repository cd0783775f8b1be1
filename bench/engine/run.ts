/**
 * `npm run bench:engine`: where a generation's time goes on CPU, and the engine's own overhead
 * (everything but `InferenceSession.run`) as a share of the total. Target: ≤ 3 %.
 *
 *   npm run bench:engine -- [--model DIR] [--sizes 256,512] [--steps 20] [--runs 7] [--warmup 2] [--svg FILE]
 *
 * Without --model it measures the project's tiny model. Prints a Markdown table for docs/benchmarks.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { encodeImage, loadPipeline } from "../../backend/src/engine/index.ts";
import { ensureTinyModel } from "../../backend/src/model-builder/index.ts";
import { describeMachine } from "../lib/machine.ts";
import { progressBar } from "../lib/progress.ts";
import { timeSessionRuns } from "../lib/session-timer.ts";
import { median } from "../lib/stats.ts";
import { stackedBarsSvg } from "../lib/svg-bars.ts";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

const { values: args } = parseArgs({
  options: {
    model: { type: "string" },
    sizes: { type: "string", default: "256,512" },
    steps: { type: "string", default: "20" },
    runs: { type: "string", default: "7" },
    warmup: { type: "string", default: "2" },
    svg: { type: "string" },
  },
});

function positiveInt(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a positive integer, got '${text}'`);
  return value;
}

const sizes = (args.sizes ?? "").split(",").map((s) => positiveInt("sizes", s.trim()));
const steps = positiveInt("steps", args.steps ?? "");
const runs = positiveInt("runs", args.runs ?? "");
const warmup = Number(args.warmup);

interface RunSample {
  textEncode: number;
  denoise: number;
  decode: number;
  imageEncode: number;
  total: number;
  sessionRun: number;
}

const modelDir = args.model ?? (await ensureTinyModel(join(REPO_ROOT, ".sdgate", "models")));
const pipeline = await loadPipeline(modelDir, { executionProviders: ["cpu"] });
const sessionRuns = timeSessionRuns();

const results: { size: number; samples: RunSample[] }[] = [];
for (const size of sizes) {
  const bar = progressBar(`${size}×${size}, ${steps} steps`, warmup + runs);
  const samples: RunSample[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    sessionRuns.takeMs();
    const startedMs = performance.now();
    const result = await pipeline.generate({
      prompt: "a lighthouse on a cliff at sunset, oil painting",
      negativePrompt: "blurry",
      width: size,
      height: size,
      steps,
      guidanceScale: 7.5,
      seed: 1000 + i,
    });
    const sessionRun = sessionRuns.takeMs();
    const encodeStartedMs = performance.now();
    for (const image of result.images) await encodeImage(image, "png");
    const imageEncode = performance.now() - encodeStartedMs;
    const generateMs = encodeStartedMs - startedMs;
    const { textEncode, denoise, decode } = result.timingsMs;
    if (i >= warmup)
      samples.push({ textEncode, denoise, decode, imageEncode, total: generateMs, sessionRun });
    bar.tick(`${generateMs.toFixed(0)} ms`);
  }
  bar.done();
  results.push({ size, samples });
}
sessionRuns.restore();
await pipeline.release();

const ms = (value: number) => value.toFixed(1);
const lines = [
  `Engine on CPU (${pipeline.executionProvider}), model \`${args.model ? modelDir : "tiny"}\`, ${steps} steps, CFG 7.5, median of ${runs} runs after ${warmup} warm-up, ${new Date().toISOString().slice(0, 10)}, ${describeMachine()}.`,
  "",
  "| size | text encode | denoise | VAE decode | generate (total) | of which `session.run` | engine overhead | overhead share | PNG encode |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
];
const svgRows: Parameters<typeof stackedBarsSvg>[2] = [];
for (const { size, samples } of results) {
  const m = (pick: (s: RunSample) => number) => median(samples.map(pick));
  const total = m((s) => s.total);
  const overheads = samples.map((s) => s.total - s.sessionRun);
  const overheadShares = samples.map((s) => (s.total - s.sessionRun) / s.total);
  lines.push(
    `| ${size}×${size} | ${ms(m((s) => s.textEncode))} ms | ${ms(m((s) => s.denoise))} ms | ${ms(m((s) => s.decode))} ms | ${ms(total)} ms | ${ms(m((s) => s.sessionRun))} ms | ${ms(median(overheads))} ms | ${(100 * median(overheadShares)).toFixed(2)} % | ${ms(m((s) => s.imageEncode))} ms |`,
  );
  svgRows.push({
    name: `${size}×${size}, ${steps} steps`,
    segments: [
      { label: "session.run", value: m((s) => s.sessionRun) },
      { label: "engine overhead", value: median(overheads) },
      { label: "PNG encode", value: m((s) => s.imageEncode) },
    ],
  });
}
console.log(lines.join("\n"));
if (args.svg) {
  mkdirSync(dirname(args.svg), { recursive: true });
  writeFileSync(args.svg, stackedBarsSvg("Where a generation's time goes (CPU, median)", "ms", svgRows));
  console.error(`wrote ${args.svg}`);
}
