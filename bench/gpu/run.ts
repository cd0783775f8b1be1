/**
 * `node bench/gpu/run.ts`: SD 1.5 (or SDXL base) on the GPU, on the project's full-size architecture with
 * seeded random weights (the compute is exactly the real model's), built here by the model builder when
 * missing.
 *
 *   node bench/gpu/run.ts [--architecture sd15|sdxl] [--providers cuda,webgpu,cpu]
 *     [--operators standard,fused] [--dtype float16] [--size 512] [--steps 50] [--runs 5] [--warmup 1]
 *     [--batches 1,2,4,8] [--cpu-steps 1] [--models DIR] [--out DIR] [--dry-run] [--skip-engine]
 *
 * --architecture sdxl: SDXL base 1.0 (two text encoders, the 2.6B UNet with text_embeds/time_ids, the
 * VAE in float32), --size 1024 and --steps 30 unless given, so it can be measured beside SD 1.5.
 *
 * For each provider × operator set: batch-1 latency (median and min of --runs, after --warmup; the
 * first, cold run apart), the distribution of single UNet steps (to explain a median far above the
 * minimum), throughput at each batch, GPU memory (nvidia-smi), and the share of the GPU's fp16 peak
 * (flops.ts); then the same batch-1 image through the engine's pipeline, the production path, as a
 * ratio to the bare loop, and each throughput batch through the engine's `generateBatch`, the server's
 * batching path (--skip-engine leaves both out). CPU runs --cpu-steps steps once and
 * extrapolates to --steps, labelled so. Fused graphs need CUDA and are skipped on other providers.
 * Writes results.md and results.json to --out.
 * --dry-run: widths ÷ 8, 64×64, 3 steps, 2 runs, batches 1,2, CPU only — the same code on any machine.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadPipeline } from "../../backend/src/engine/index.ts";
import type { StageTimingsMs } from "../../backend/src/engine/types.ts";
import { OPERATOR_SETS, type OperatorSet } from "../../backend/src/model-builder/nn.ts";
import { buildSd15FullSize } from "../../backend/src/model-builder/sd15-full-size.ts";
import { buildSdxlFullSize } from "../../backend/src/model-builder/sdxl-full-size.ts";
import { describeMachine } from "../lib/machine.ts";
import { median, quantile } from "../lib/stats.ts";
import { type BenchArchitecture, imageTflop, peakTflops } from "./flops.ts";
import { type GpuActivity, GpuSampler, gpuName } from "./gpu-sampler.ts";
import { type GenerationTiming, generate, openSdSessions } from "./sd-loop.ts";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const { values: args } = parseArgs({
  options: {
    architecture: { type: "string", default: "sd15" },
    providers: { type: "string", default: "cuda,webgpu,cpu" },
    operators: { type: "string", default: "standard,fused" },
    dtype: { type: "string", default: "float16" },
    size: { type: "string" },
    steps: { type: "string" },
    runs: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    batches: { type: "string", default: "1,2,4,8" },
    "cpu-steps": { type: "string", default: "1" },
    models: { type: "string" },
    out: { type: "string" },
    "dry-run": { type: "boolean", default: false },
    "skip-engine": { type: "boolean", default: false },
  },
});

const dry = args["dry-run"] === true;
const int = (name: string, text: string | undefined, min = 1): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name}: '${text}' is not an integer ≥ ${min}`);
  return value;
};
/** A comma list; a provider's own options are joined with "+" (`cuda:device_id=0+enable_mem_pattern=0`). */
const list = (text: string | undefined) => (text ?? "").split(",").filter(Boolean);
const providers = dry ? ["cpu"] : list(args.providers).map((p) => p.replaceAll("+", ","));
const operatorSets = list(args.operators) as OperatorSet[];
for (const o of operatorSets)
  if (!OPERATOR_SETS.includes(o)) throw new Error(`--operators: '${o}' is not standard or fused`);
const dtype = args.dtype === "float32" ? "float32" : "float16";
if (args.dtype !== dtype) throw new Error(`--dtype: '${args.dtype}' is not float16 or float32`);
if (args.architecture !== "sd15" && args.architecture !== "sdxl")
  throw new Error(`--architecture: '${args.architecture}' is not sd15 or sdxl`);
const architecture: BenchArchitecture = args.architecture;
const sdxl = architecture === "sdxl";
const sizePx = dry ? 64 : int("size", args.size ?? (sdxl ? "1024" : "512"));
const steps = dry ? 3 : int("steps", args.steps ?? (sdxl ? "30" : "50"));
const runs = dry ? 2 : int("runs", args.runs);
const warmup = dry ? 1 : int("warmup", args.warmup, 0);
const batches = dry ? [1, 2] : list(args.batches).map((b) => int("batches", b));
const cpuSteps = int("cpu-steps", args["cpu-steps"]);
const widthDivisor = dry ? 8 : 1;
const modelsDir = resolve(args.models ?? join(REPO_ROOT, ".sdgate", dry ? "gpu-models-dry" : "gpu-models"));
const outDir = resolve(args.out ?? join(REPO_ROOT, ".sdgate", "gpu-bench"));

interface Row {
  provider: string;
  operators: OperatorSet;
  extrapolated: boolean;
  coldMs?: number;
  medianMs?: number;
  minMs?: number;
  step?: { minMs: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number; count: number };
  textEncodeMs?: number;
  /** All of a generation's UNet calls together (median over runs). */
  stepsMs?: number;
  decodeMs?: number;
  throughput: {
    batch: number;
    imagesPerSecond: number;
    totalMs: number;
    peakGpuMiB?: number;
    /** The same batch through the engine's `generateBatch` (the server's batching path). */
    engineImagesPerSecond?: number;
  }[];
  peakGpuMiB?: number;
  /** The same batch-1 generation through the engine (`loadPipeline(...).generate`), the production path. */
  engine?: { medianMs: number; minMs: number; stagesMs: StageTimingsMs };
  /** The GPU during the timed batch-1 runs (utilization, SM clock, power). */
  gpu?: GpuActivity;
  peakShare?: number;
  error?: string;
}

async function ensureModels(operators: OperatorSet): Promise<string> {
  const dir = join(modelsDir, `${architecture}-${operators}-${dtype}${dry ? "-div8" : ""}`);
  if (existsSync(join(dir, "model_index.json"))) return dir;
  const started = performance.now();
  const build = sdxl ? buildSdxlFullSize : buildSd15FullSize;
  await build(dir, { dtype, operators, widthDivisor });
  console.error(`built ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

const date = new Date().toISOString().slice(0, 10);
const gpu = gpuName();
const peak = peakTflops(gpu);
const memory = new GpuSampler();
memory.start();
const rows: Row[] = [];
try {
  for (const operators of operatorSets) {
    const runnable = operators === "standard" || providers.some((p) => p.startsWith("cuda"));
    const modelDir = runnable ? await ensureModels(operators) : "";
    for (const provider of providers) {
      const name = provider.split(":")[0] as string;
      // A dry run's CPU steps are few enough to run in full, so its every code path is exercised.
      const row: Row = { provider, operators, extrapolated: name === "cpu" && !dry, throughput: [] };
      rows.push(row);
      if (operators === "fused" && name !== "cuda") {
        row.error =
          "fused graphs need the CUDA provider (GroupNorm, NhwcConv, BiasSplitGelu… have no other kernels)";
        continue;
      }
      try {
        await measure(row, modelDir, name);
        if (!row.extrapolated && !args["skip-engine"]) await measureEngine(row, modelDir);
      } catch (error) {
        row.error = error instanceof Error ? (error.message.split("\n")[0] ?? error.message) : String(error);
      }
      console.error(`${provider} ${operators}: ${row.error ?? `median ${row.medianMs?.toFixed(0)} ms`}`);
      writeResults(); // after every row, so a run cut short by a time limit still leaves its numbers
    }
  }
} finally {
  memory.stop();
}

async function measure(row: Row, modelDir: string, name: string): Promise<void> {
  memory.reset();
  const sessions = await openSdSessions(modelDir, row.provider);
  try {
    const stepLimit = row.extrapolated ? cpuSteps : undefined;
    const request = { batch: 1, sizePx, steps, ...(stepLimit === undefined ? {} : { stepLimit }) };
    const total = (t: GenerationTiming) =>
      row.extrapolated ? t.textEncodeMs + t.decodeMs + median(t.stepMs) * steps : t.totalMs;
    const cold = await generate(sessions, request);
    row.coldMs = total(cold);
    const timings: GenerationTiming[] = [];
    memory.reset();
    const count = row.extrapolated ? 1 : warmup + runs;
    for (let i = 0; i < count; i++) {
      const t = await generate(sessions, request);
      if (row.extrapolated || i >= warmup) timings.push(t);
    }
    const activity = memory.activity;
    if (activity !== undefined) {
      row.gpu = activity;
      row.peakGpuMiB = activity.peakMiB;
    }
    const totals = timings.map(total);
    row.medianMs = median(totals);
    row.minMs = Math.min(...totals);
    const allSteps = timings.flatMap((t) => t.stepMs);
    row.step = {
      minMs: Math.min(...allSteps),
      p50Ms: quantile(allSteps, 0.5),
      p90Ms: quantile(allSteps, 0.9),
      p99Ms: quantile(allSteps, 0.99),
      maxMs: Math.max(...allSteps),
      count: allSteps.length,
    };
    row.textEncodeMs = median(timings.map((t) => t.textEncodeMs));
    row.decodeMs = median(timings.map((t) => t.decodeMs));
    row.stepsMs = median(timings.map((t) => t.stepMs.reduce((sum, v) => sum + v, 0)));
    if (peak !== undefined && name === "cuda")
      row.peakShare = imageTflop(sizePx, steps, 1, true, architecture) / (row.medianMs / 1000) / peak;
    if (!row.extrapolated) {
      for (const batch of batches) {
        memory.reset();
        const req = { batch, sizePx, steps };
        await generate(sessions, req); // new shapes: cuDNN's algorithm search runs on the first call
        const t = await generate(sessions, req);
        const peakGpuMiB = memory.peakMiB;
        row.throughput.push({
          batch,
          totalMs: t.totalMs,
          imagesPerSecond: batch / (t.totalMs / 1000),
          ...(peakGpuMiB === undefined ? {} : { peakGpuMiB }),
        });
      }
    }
  } finally {
    await sessions.release();
  }
}

/**
 * The production path for the same image: the engine's pipeline (tokenizer, scheduler, seeded noise,
 * guidance, VAE decode to RGB) on the same provider, so its ratio to the bare loop is the engine's cost
 * on this device.
 */
async function measureEngine(row: Row, modelDir: string): Promise<void> {
  const pipeline = await loadPipeline(modelDir, { executionProviders: [row.provider] });
  try {
    const request = {
      prompt: "a lighthouse on a cliff",
      width: sizePx,
      height: sizePx,
      steps,
      guidanceScale: 7.5,
    };
    const totals: number[] = [];
    const stages: StageTimingsMs[] = [];
    for (let i = 0; i < warmup + runs + 1; i++) {
      const started = performance.now();
      const { timingsMs } = await pipeline.generate({ ...request, seed: i });
      if (i > warmup) {
        // the first is cold, like the loop's
        totals.push(performance.now() - started);
        stages.push(timingsMs);
      }
    }
    const stage = (key: keyof StageTimingsMs) => median(stages.map((s) => s[key]));
    row.engine = {
      medianMs: median(totals),
      minMs: Math.min(...totals),
      stagesMs: {
        tokenize: stage("tokenize"),
        textEncode: stage("textEncode"),
        prepareLatents: stage("prepareLatents"),
        denoise: stage("denoise"),
        decode: stage("decode"),
        total: stage("total"),
      },
    };
    // The throughput batches again, as the server runs them: one generateBatch of `batch` requests
    // (each its own seed and prompt) sharing every UNet call; the first of each size warms up.
    for (const entry of row.throughput) {
      const entries = Array.from({ length: entry.batch }, (_, i) => ({
        request: { ...request, prompt: `${request.prompt}, variation ${i}`, seed: 1000 + i },
      }));
      await pipeline.generateBatch(entries);
      const started = performance.now();
      const outcomes = await pipeline.generateBatch(entries);
      const failed = outcomes.find((o) => !o.ok);
      if (failed !== undefined && !failed.ok) throw failed.error;
      entry.engineImagesPerSecond = entry.batch / ((performance.now() - started) / 1000);
    }
  } finally {
    await pipeline.release();
  }
}

/** The results so far as Markdown tables: latency and step distribution, the GPU's activity, throughput. */
function renderMarkdown(): string {
  const header = `${sdxl ? "SDXL base" : "SD 1.5"} architecture (seeded random weights${dry ? ", widths ÷ 8 — dry run" : ""}), ${dtype}, ${sizePx}×${sizePx}, ${steps} steps, CFG (one batched UNet call per step), ${date}, ${gpu ?? "no GPU"}, ${describeMachine()}.`;
  const ms = (v: number | undefined) =>
    v === undefined ? "–" : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`;
  const lines = [
    header,
    "",
    "| provider | graph | batch-1 median | min | cold (1st run) | UNet step min / p50 / p90 / p99 / max | text enc | VAE dec | GPU busy · SM clock · power | GPU mem peak | share of fp16 peak |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    if (r.error !== undefined) {
      lines.push(`| ${r.provider} | ${r.operators} | – | – | – | ${r.error} | | | | | |`);
      continue;
    }
    const s = r.step;
    const stepText = s
      ? `${[s.minMs, s.p50Ms, s.p90Ms, s.p99Ms, s.maxMs].map((v) => v.toFixed(1)).join(" / ")} ms`
      : "–";
    const label = r.extrapolated
      ? `${ms(r.medianMs)} (extrapolated from ${cpuSteps} step${cpuSteps > 1 ? "s" : ""})`
      : ms(r.medianMs);
    const g = r.gpu;
    const gpuText = g
      ? `${g.meanUtilization.toFixed(0)} % · ${g.smClockMinMHz}–${g.smClockMaxMHz} MHz · ≤ ${g.peakPowerW.toFixed(0)} W`
      : "–";
    lines.push(
      `| ${r.provider} | ${r.operators} | ${label} | ${ms(r.minMs)} | ${ms(r.coldMs)} | ${stepText} | ${ms(r.textEncodeMs)} | ${ms(r.decodeMs)} | ${gpuText} | ${r.peakGpuMiB === undefined ? "–" : `${r.peakGpuMiB} MiB`} | ${r.peakShare === undefined ? "–" : `${(100 * r.peakShare).toFixed(1)} %`} |`,
    );
  }
  lines.push(
    "",
    "| provider | graph | bare loop, batch-1 median | engine pipeline, batch-1 median (min) | engine ÷ loop | engine stages: tokenize · text enc · latents · denoise · decode | bare loop: text enc · UNet steps · decode |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  );
  for (const r of rows)
    if (r.engine && r.medianMs !== undefined) {
      const s = r.engine.stagesMs;
      const engineStages = [s.tokenize, s.textEncode, s.prepareLatents, s.denoise, s.decode]
        .map(ms)
        .join(" · ");
      const loopStages = [r.textEncodeMs, r.stepsMs, r.decodeMs].map(ms).join(" · ");
      lines.push(
        `| ${r.provider} | ${r.operators} | ${ms(r.medianMs)} | ${ms(r.engine.medianMs)} (${ms(r.engine.minMs)}) | ${(r.engine.medianMs / r.medianMs).toFixed(3)} | ${engineStages} | ${loopStages} |`,
      );
    }
  lines.push(
    "",
    "| provider | graph | batch | images/s | generation | GPU mem peak | engine images/s (generateBatch) |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  );
  for (const r of rows)
    for (const t of r.throughput)
      lines.push(
        `| ${r.provider} | ${r.operators} | ${t.batch} | ${t.imagesPerSecond.toFixed(2)} | ${ms(t.totalMs)} | ${t.peakGpuMiB === undefined ? "–" : `${t.peakGpuMiB} MiB`} | ${t.engineImagesPerSecond?.toFixed(2) ?? "–"} |`,
      );
  return lines.join("\n");
}

function writeResults(): string {
  const markdown = renderMarkdown();
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "results.md"), `${markdown}\n`);
  const summary = {
    date,
    gpu: gpu ?? null,
    machine: describeMachine(),
    dry,
    architecture,
    dtype,
    sizePx,
    steps,
    runs,
    warmup,
    batches,
    rows,
  };
  writeFileSync(join(outDir, "results.json"), `${JSON.stringify(summary, null, 2)}\n`);
  return markdown;
}

console.log(writeResults());
console.error(`wrote ${join(outDir, "results.md")} and results.json`);
