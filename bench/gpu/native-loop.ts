/**
 * `node bench/gpu/native-loop.ts`: issue 19's levers on SD 1.5 (full-size architecture, seeded weights,
 * fused fp16 graph by default), each against the current path in the same run.
 *
 *   node bench/gpu/native-loop.ts [--model DIR] [--operators fused] [--size 512] [--steps 50]
 *     [--runs 5] [--warmup 1] [--batches 1,2,4,8,16] [--cuda-options prefer_nhwc=1+cudnn_conv_use_max_workspace=1]
 *     [--out DIR] [--dry-run]
 *
 * Rows (native-levers.ts): the engine's host loop on onnxruntime-node; the same loop through the C
 * API with the CUDA provider options; the device loop; + CUDA graphs; + run-ahead. For each: batch-1
 * denoise+decode latency (median and min of --runs after --warmup), images/s at each batch, peak GPU
 * memory, utilization, share of the fp16 peak, and the ratio to the first row; each device lever's
 * numerics against the host loop on the same provider (Euler a, batch 1, same seed: the largest
 * difference of the final latents over their largest magnitude), which catches a lever that is fast
 * because it is wrong. Writes results.md and results.json to --out after every row.
 * --dry-run: the ÷8-width standard graph, 64 px, 3 steps, one run, CPU; CUDA-only rows are skipped. The same code.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { deviceLoopSettings } from "../../backend/src/engine/device-loop/native-options.ts";
import { parseExecutionProviders } from "../../backend/src/engine/models/execution-provider-options.ts";
import { createSession } from "../../backend/src/engine/models/onnx-session.ts";
import { UNetSession } from "../../backend/src/engine/models/unet.ts";
import { VaeDecoderSession } from "../../backend/src/engine/models/vae-decoder.ts";
import type { EngineLogger } from "../../backend/src/engine/types.ts";
import { buildSd15FullSize } from "../../backend/src/model-builder/sd15-full-size.ts";
import { OrtRuntime } from "../../backend/src/native-ort/runtime.ts";
import { NativeSession } from "../../backend/src/native-ort/session.ts";
import type { NativeSessionOptions } from "../../backend/src/native-ort/session-options.ts";
import { describeMachine } from "../lib/machine.ts";
import { median } from "../lib/stats.ts";
import { imageTflop, peakTflops } from "./flops.ts";
import { GpuSampler, gpuName } from "./gpu-sampler.ts";
import {
  deviceLoop,
  hostLoop,
  type LoopInputs,
  type LoopTiming,
  nodeHostLoop,
  openDeviceLoop,
} from "./native-levers.ts";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const { values: args } = parseArgs({
  options: {
    model: { type: "string" },
    operators: { type: "string", default: "fused" },
    size: { type: "string", default: "512" },
    steps: { type: "string", default: "50" },
    runs: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    batches: { type: "string", default: "1,2,4,8,16" },
    "cuda-options": { type: "string", default: "prefer_nhwc=1+cudnn_conv_use_max_workspace=1" },
    out: { type: "string" },
    "dry-run": { type: "boolean", default: false },
  },
});
const dry = args["dry-run"] === true;
const int = (name: string, text: string | undefined): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`--${name}: '${text}' is not a non-negative integer`);
  return value;
};
const sizePx = dry ? 64 : int("size", args.size);
const steps = dry ? 3 : int("steps", args.steps);
const runs = dry ? 1 : Math.max(1, int("runs", args.runs));
const warmup = dry ? 0 : int("warmup", args.warmup);
const batches = dry ? [1, 2] : (args.batches ?? "").split(",").map((b) => int("batches", b));
const operators = dry ? "standard" : args.operators === "standard" ? "standard" : "fused";
const provider = dry ? "cpu" : "cuda";
const modelDir = resolve(
  args.model ?? join(REPO_ROOT, ".sdgate", "gpu-models", `sd15-${operators}-float16${dry ? "-div8" : ""}`),
);
const outDir = resolve(args.out ?? join(REPO_ROOT, ".sdgate", "gpu-native-loop"));
const cudaOptions = (args["cuda-options"] ?? "").replaceAll("+", ",");
const quiet: EngineLogger = { info() {}, warn() {} };

interface Row {
  lever: string;
  medianMs?: number;
  minMs?: number;
  /** This row's batch-1 median over the first row's. */
  ratio?: number;
  throughput: { batch: number; imagesPerSecond: number; peakGpuMiB?: number }[];
  peakGpuMiB?: number;
  utilization?: number;
  peakShare?: number;
  /** A device loop's final latents against the host loop's (Euler a, batch 1, same seed). */
  latentDifference?: number;
  error?: string;
}

if (!existsSync(join(modelDir, "model_index.json"))) {
  const started = performance.now();
  await buildSd15FullSize(modelDir, { dtype: "float16", operators, widthDivisor: dry ? 8 : 1 });
  console.error(`built ${modelDir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
const runtime = OrtRuntime.shared();
const unetConfig = JSON.parse(readFileSync(join(modelDir, "unet/config.json"), "utf8")) as {
  cross_attention_dim: number;
};
const base: Omit<LoopInputs, "batch"> = {
  contextWidth: unetConfig.cross_attention_dim,
  sizePx,
  steps,
  scheduler: "euler",
  seed: 1,
  guidanceScale: 7.5,
};
const gpu = gpuName();
const peak = peakTflops(gpu);
const sampler = new GpuSampler();
sampler.start();
const rows: Row[] = [];
let numerics: { scheduler: string; maxRelativeDifference: number } | { error: string } | undefined;

/** The C API sessions' options: the backend's CUDA defaults, plus --cuda-options when asked. */
function nativeOptions(extra: string): NativeSessionOptions {
  const spec = parseExecutionProviders([`${provider}:device_loop=1${extra === "" ? "" : `,${extra}`}`])[0];
  const settings = deviceLoopSettings(spec);
  if (settings === undefined) throw new Error("no device loop settings");
  return settings.session;
}

/** Euler a, batch 1, the same seed: the host loop's final latents, which each device lever must reach. */
const NUMERICS = { scheduler: "euler_a", batch: 1 } as const;
let reference: Float32Array | undefined;

/** The largest latent difference over the largest latent. */
function latentDifference(device: Float32Array, host: Float32Array): number {
  const scale = Math.max(...host.map(Math.abs));
  return host.reduce((max, v, i) => Math.max(max, Math.abs(v - (device[i] as number))), 0) / scale;
}

async function measure(
  lever: string,
  run: (batch: number) => Promise<LoopTiming>,
  check?: () => Promise<LoopTiming>,
): Promise<void> {
  const row: Row = { lever, throughput: [] };
  rows.push(row);
  try {
    await run(1); // cold: sessions warm up, cuDNN searches, CUDA graphs are captured
    sampler.reset();
    const times: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const { totalMs } = await run(1);
      if (i >= warmup) times.push(totalMs);
    }
    row.medianMs = median(times);
    row.minMs = Math.min(...times);
    row.ratio = row.medianMs / (rows[0]?.medianMs ?? row.medianMs);
    const activity = sampler.activity;
    if (activity !== undefined) {
      row.peakGpuMiB = activity.peakMiB;
      row.utilization = activity.meanUtilization;
    }
    if (peak !== undefined) row.peakShare = imageTflop(sizePx, steps) / (row.medianMs / 1000) / peak;
    for (const batch of batches) {
      sampler.reset();
      await run(batch); // a new bucket: its shapes warm up, its graphs are captured
      const { totalMs } = await run(batch);
      const peakGpuMiB = sampler.peakMiB;
      row.throughput.push({
        batch,
        imagesPerSecond: batch / (totalMs / 1000),
        ...(peakGpuMiB === undefined ? {} : { peakGpuMiB }),
      });
    }
    if (check !== undefined && reference !== undefined) {
      row.latentDifference = latentDifference((await check()).latents, reference);
    }
  } catch (error) {
    row.error = error instanceof Error ? (error.message.split("\n")[0] ?? error.message) : String(error);
  }
  console.error(`${lever}: ${row.error ?? `median ${row.medianMs?.toFixed(1)} ms`}`);
  writeResults();
}

try {
  {
    const unet = new UNetSession(await createSession(modelDir, "unet/model.onnx", [provider], quiet));
    const vae = new VaeDecoderSession(
      await createSession(modelDir, "vae_decoder/model.onnx", [provider], quiet),
    );
    await measure("host loop, onnxruntime-node (today)", (batch) =>
      nodeHostLoop(unet, vae, { ...base, batch }),
    );
  }
  const options = nativeOptions(dry ? "" : cudaOptions);
  // kept open to the end: the numerics check runs on these same sessions
  using unet = NativeSession.create(runtime, `${modelDir}/unet/model.onnx`, options);
  using vae = NativeSession.create(runtime, `${modelDir}/vae_decoder/model.onnx`, options);
  await measure(`host loop, C API${dry ? "" : ` (${cudaOptions})`}`, (batch) =>
    hostLoop(runtime, unet, vae, { ...base, batch }),
  );
  reference = (await hostLoop(runtime, unet, vae, { ...base, ...NUMERICS })).latents;
  const lever = async (name: string, session: NativeSessionOptions, runAhead: boolean) => {
    using loop = openDeviceLoop(runtime, modelDir, session, runAhead);
    await measure(
      name,
      (batch) => deviceLoop(loop, { ...base, batch }),
      () => deviceLoop(loop, { ...base, ...NUMERICS }),
    );
  };
  await lever("device loop (IO binding, step graph)", options, false);
  if (!dry) {
    const graphs = { ...options, cuda: { ...options.cuda, enableCudaGraph: true } };
    await lever("device loop + CUDA graphs", graphs, false);
    await lever("device loop + CUDA graphs + run-ahead", graphs, true);
  }
  const plain = rows.find((row) => row.lever.startsWith("device loop (IO"));
  numerics =
    plain?.latentDifference === undefined
      ? { error: plain?.error ?? "not measured" }
      : { scheduler: NUMERICS.scheduler, maxRelativeDifference: plain.latentDifference };
} finally {
  sampler.stop();
}

function renderMarkdown(): string {
  const lines = [
    `# Device loop levers — ${gpu ?? "no GPU"}, SD 1.5 ${operators} fp16, ${sizePx}², ${steps} steps, CFG`,
    "",
    `${new Date().toISOString().slice(0, 10)} · ${describeMachine()} · runs ${runs} (warmup ${warmup}) · denoise + decode, host to host`,
    "",
    `| lever | batch-1 median ms | min ms | × today | peak share | GPU util | peak MiB | latents vs host | ${batches.map((b) => `b${b} img/s`).join(" | ")} |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | ${batches.map(() => "---").join(" | ")} |`,
  ];
  const fixed = (value: number | undefined, digits = 1) =>
    value === undefined ? "–" : value.toFixed(digits);
  for (const row of rows) {
    if (row.error !== undefined) {
      lines.push(`| ${row.lever} | error: ${row.error} |`);
      continue;
    }
    const perBatch = batches.map((b) => fixed(row.throughput.find((t) => t.batch === b)?.imagesPerSecond, 2));
    lines.push(
      `| ${row.lever} | ${fixed(row.medianMs)} | ${fixed(row.minMs)} | ${fixed(row.ratio, 3)} | ${row.peakShare === undefined ? "–" : `${(row.peakShare * 100).toFixed(1)} %`} | ${row.utilization === undefined ? "–" : `${row.utilization.toFixed(0)} %`} | ${fixed(row.peakGpuMiB, 0)} | ${row.latentDifference === undefined ? "–" : row.latentDifference.toExponential(1)} | ${perBatch.join(" | ")} |`,
    );
  }
  if (numerics !== undefined) {
    lines.push(
      "",
      "error" in numerics
        ? `Numerics: error: ${numerics.error}`
        : `Numerics (${numerics.scheduler}, batch 1, same seed): device loop vs host loop, largest latent difference / largest latent = ${numerics.maxRelativeDifference.toExponential(2)}`,
    );
  }
  return lines.join("\n");
}

function writeResults(): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "results.md"), `${renderMarkdown()}\n`);
  const summary = {
    gpu: gpu ?? null,
    machine: describeMachine(),
    dry,
    operators,
    sizePx,
    steps,
    runs,
    warmup,
    batches,
    rows,
    numerics,
  };
  writeFileSync(join(outDir, "results.json"), `${JSON.stringify(summary, null, 2)}\n`);
}

writeResults();
console.log(renderMarkdown());
