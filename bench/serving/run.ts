/**
 * `npm run bench:serving`: the backend under load, as a real process (tiny model, CPU). Throughput and
 * p50/p99 latency against offered load (open-loop Poisson arrivals), with batching off
 * (`SDGATE_MAX_BATCH=1`) and on; then a mixed soak (sizes, steps, schedulers, n, guidance on/off,
 * img2img, streamed calls, clients that leave, three tenants) sampling the process's resident memory,
 * which must stay flat: the slope of a least-squares line after the warm-up. Prints Markdown.
 *
 *   npm run bench:serving -- [--rates 2,4,6,8] [--seconds 15] [--size 128] [--steps 20] [--max-batch 4]
 *                            [--soak-minutes 10] [--soak-rate 3] [--svg FILE] [--memory-svg FILE]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { Keyring, type ResolvedGenerationRequest } from "@sdgate/shared";
import { exampleResolvedRequest } from "@sdgate/shared/testing";
import { describeMachine } from "../lib/machine.ts";
import { progressBar } from "../lib/progress.ts";
import { median, quantile } from "../lib/stats.ts";
import { stackedBarsSvg } from "../lib/svg-bars.ts";
import { linesSvg } from "../lib/svg-lines.ts";
import { startBackend } from "./backend-process.ts";
import { BENCH_BACKEND_NAME, generate, type Outcome, offerLoad } from "./load.ts";

const { values: args } = parseArgs({
  options: {
    rates: { type: "string", default: "2,4,6,8" },
    seconds: { type: "string", default: "15" },
    size: { type: "string", default: "128" },
    steps: { type: "string", default: "20" },
    "max-batch": { type: "string", default: "4" },
    "soak-minutes": { type: "string", default: "10" },
    "soak-rate": { type: "string", default: "3" },
    "memory-svg": { type: "string" },
    svg: { type: "string" },
  },
});
const rates = (args.rates ?? "").split(",").map(Number);
const seconds = Number(args.seconds);
const size = Number(args.size);
const steps = Number(args.steps);
const maxBatch = Number(args["max-batch"]);
const soakMinutes = Number(args["soak-minutes"]);
const soakRate = Number(args["soak-rate"]);
if (
  rates.some((r) => !(r > 0)) ||
  ![seconds, size, steps, maxBatch, soakRate].every((v) => v > 0) ||
  !(soakMinutes >= 0)
) {
  console.error("--rates is a list of positive numbers; the other options are positive numbers.");
  process.exit(2);
}

const SECRET = "b".repeat(40);
const keyring = new Keyring([{ id: "bench", secret: SECRET }]);
const baseEnv = {
  SDGATE_HMAC_KEYS: `bench:${SECRET}`,
  SDGATE_QUEUE_SIZE: "256",
  SDGATE_BACKEND_NAME: BENCH_BACKEND_NAME,
};
const base: ResolvedGenerationRequest = exampleResolvedRequest({
  prompt: "a lighthouse on a cliff at dusk, oil painting",
  negative_prompt: "blurry",
  width: size,
  height: size,
  steps,
});

/** Poisson arrivals can outnumber the expected count; the bar stops at its end. */
function bar(label: string, expected: number): { tick(): void; done(): void } {
  const progress = progressBar(label, expected);
  let ticks = 0;
  return { tick: () => (++ticks <= expected ? progress.tick() : undefined), done: () => progress.done() };
}

const fmt = (ms: number) =>
  Number.isNaN(ms) ? "–" : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;

interface Row {
  mode: string;
  rate: number;
  sent: number;
  ok: number;
  refused: number;
  failed: number;
  throughput: number;
  p50: number;
  p99: number;
}

async function sweep(mode: string, batch: number): Promise<Row[]> {
  const backend = await startBackend({ ...baseEnv, SDGATE_MAX_BATCH: String(batch) });
  const rows: Row[] = [];
  try {
    // Warm the sizes used, so the first rate does not pay for first-run allocations.
    await Promise.all([1, 2, 3, 4].map((seed) => generate(backend.url, keyring, { ...base, seed })));
    for (const rate of rates) {
      const progress = bar(`${mode} ${rate}/s`, Math.round(rate * seconds));
      const { outcomes, startMs } = await offerLoad(
        rate,
        seconds,
        (i) => generate(backend.url, keyring, { ...base, seed: 1000 + i }, { tenant: `key${i % 3}` }),
        () => progress.tick(),
      );
      progress.done();
      const ok = outcomes.filter((o) => o.status === 200);
      const lastEnd = Math.max(...outcomes.map((o) => o.endMs));
      const latencies = ok.map((o) => o.latencyMs);
      rows.push({
        mode,
        rate,
        sent: outcomes.length,
        ok: ok.length,
        refused: outcomes.filter((o) => o.status === 429).length,
        failed: outcomes.filter((o) => o.status !== 200 && o.status !== 429).length,
        throughput: ok.length / ((lastEnd - startMs) / 1000),
        p50: latencies.length > 0 ? median(latencies) : Number.NaN,
        p99: latencies.length > 0 ? quantile(latencies, 0.99) : Number.NaN,
      });
    }
  } finally {
    await backend.stop();
  }
  return rows;
}

/** Mixed traffic: every size, step count, scheduler, guidance and task the soak should exercise. */
function mixedRequest(
  i: number,
  sourceImage: string,
): { request: ResolvedGenerationRequest; stream: boolean; cancelAfterMs?: number } {
  const pick = <T>(values: readonly T[]) => values[Math.floor(Math.random() * values.length)] as T;
  const img2img = Math.random() < 0.1;
  const side = img2img ? 64 : pick([64, 64, 128]);
  const request: ResolvedGenerationRequest = {
    ...base,
    prompt: `${pick(["a fox", "a harbour", "a forest path", "a robot"])} number ${i}`,
    width: side,
    height: side,
    steps: pick([8, 12, 20]),
    n: pick([1, 1, 2]),
    guidance_scale: pick([1, 7.5]),
    scheduler: pick(["euler", "euler_a", "dpmpp_2m", "ddim"]),
    seed: i,
    output_format: pick(["png", "webp", "jpeg"] as const),
    ...(img2img ? { image: sourceImage, strength: 0.6 } : {}),
  };
  const roll = Math.random();
  return { request, stream: roll < 0.2, ...(roll > 0.95 ? { cancelAfterMs: 50 } : {}) };
}

/** The backend's resident memory and its JavaScript heaps, in MiB, from `/metrics`. */
async function memoryMiB(url: string): Promise<{ rss: number; heap: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]) / 2 ** 20;
  return {
    rss: metric("sdgate_process_resident_memory_bytes"),
    // Both threads: the HTTP side's and the engine worker's (older backends report no engine heap).
    heap: metric("sdgate_nodejs_heap_size_used_bytes") + (metric("sdgate_engine_heap_used_bytes") || 0),
  };
}

/** Least-squares slope of y over x. */
function slope(points: readonly [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function soak() {
  const backend = await startBackend({ ...baseEnv, SDGATE_MAX_BATCH: String(maxBatch) });
  try {
    const source = await fetch(`${backend.url}/internal/v1/generate`, {
      method: "POST",
      body: JSON.stringify({ ...base, width: 64, height: 64, steps: 4 }),
      headers: {
        ...(await keyring.sign({
          method: "POST",
          path: "/internal/v1/generate",
          body: JSON.stringify({ ...base, width: 64, height: 64, steps: 4 }),
          audience: BENCH_BACKEND_NAME,
        })),
      },
    });
    const sourceImage = ((await source.json()) as { images: { b64: string }[] }).images[0]?.b64 ?? "";
    const samples: [number, number][] = [];
    const heapSamples: [number, number][] = [];
    const startMs = performance.now();
    const sampler = setInterval(async () => {
      const memory = await memoryMiB(backend.url).catch(() => ({ rss: Number.NaN, heap: Number.NaN }));
      const minute = (performance.now() - startMs) / 60_000;
      if (Number.isFinite(memory.rss)) samples.push([minute, memory.rss]);
      if (Number.isFinite(memory.heap)) heapSamples.push([minute, memory.heap]);
    }, 5_000);
    const progress = bar("soak", Math.round(soakRate * soakMinutes * 60));
    const { outcomes } = await offerLoad(
      soakRate,
      soakMinutes * 60,
      (i) => {
        const { request, stream, cancelAfterMs } = mixedRequest(i, sourceImage);
        return generate(backend.url, keyring, request, {
          tenant: `key${i % 3}`,
          stream,
          ...(cancelAfterMs === undefined ? {} : { cancelAfterMs }),
        });
      },
      () => progress.tick(),
    );
    progress.done();
    clearInterval(sampler);
    const afterWarmup = samples.filter(([minute]) => minute >= soakMinutes * 0.2);
    const statuses = new Map<number, number>();
    for (const o of outcomes as Outcome[]) statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
    return {
      requests: outcomes.length,
      statuses,
      first: samples[0]?.[1] ?? Number.NaN,
      last: samples.at(-1)?.[1] ?? Number.NaN,
      peak: Math.max(...samples.map(([, mb]) => mb)),
      slopeMbPerMin: afterWarmup.length >= 3 ? slope(afterWarmup) : Number.NaN,
      samples: samples.length,
      series: { rss: samples, heap: heapSamples },
      heapFirst: heapSamples[0]?.[1] ?? Number.NaN,
      heapLast: heapSamples.at(-1)?.[1] ?? Number.NaN,
    };
  } finally {
    await backend.stop();
  }
}

const rows = [...(await sweep("batching off", 1)), ...(await sweep(`batching on (≤ ${maxBatch})`, maxBatch))];
const soakResult = soakMinutes > 0 ? await soak() : undefined;

const command = `npm run bench:serving -- ${process.argv.slice(2).join(" ")}`.trim();
const lines = [
  "## Serving (backend under load)",
  "",
  `- Command: \`${command}\``,
  `- Date: ${new Date().toISOString().slice(0, 10)}`,
  `- Machine: ${describeMachine()}`,
  `- Workload: tiny model on CPU, ${size}×${size}, ${steps} steps, euler, CFG 7.5, n = 1; open-loop Poisson arrivals for ${seconds} s per rate, 3 tenants; queue 256.`,
  "",
  "| mode | offered (req/s) | sent | 200 | 429 | other | throughput (img/s) | p50 | p99 |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...rows.map(
    (r) =>
      `| ${r.mode} | ${r.rate} | ${r.sent} | ${r.ok} | ${r.refused} | ${r.failed} | ${r.throughput.toFixed(2)} | ${fmt(r.p50)} | ${fmt(r.p99)} |`,
  ),
];
if (soakResult) {
  const statuses = [...soakResult.statuses]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s === 0 ? "client left" : s}: ${n}`);
  lines.push(
    "",
    `### Memory soak: ${soakMinutes} min, ${soakRate} req/s mixed (64/128 px, 8–20 steps, 4 schedulers, n 1–2, CFG on/off, 10 % img2img, 20 % streamed, 5 % clients leave after 50 ms), batching ≤ ${maxBatch}`,
    "",
    "| requests | outcomes | RSS first | RSS last | RSS peak | slope after warm-up (20 %) | JS heap first → last | samples |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    `| ${soakResult.requests} | ${statuses.join(", ")} | ${soakResult.first.toFixed(0)} MiB | ${soakResult.last.toFixed(0)} MiB | ${soakResult.peak.toFixed(0)} MiB | ${soakResult.slopeMbPerMin.toFixed(2)} MiB/min | ${soakResult.heapFirst.toFixed(0)} → ${soakResult.heapLast.toFixed(0)} MiB | ${soakResult.samples} |`,
  );
  if (args["memory-svg"]) {
    mkdirSync(dirname(args["memory-svg"]), { recursive: true });
    const svg = linesSvg(
      `Backend memory over a ${soakMinutes}-minute mixed soak at ${soakRate} req/s`,
      "minutes",
      "MiB",
      [
        { label: "resident (RSS)", points: soakResult.series.rss },
        { label: "JS heaps used (HTTP + engine threads)", points: soakResult.series.heap },
      ],
    );
    writeFileSync(args["memory-svg"], svg);
  }
}
console.log(lines.join("\n"));

if (args.svg) {
  mkdirSync(dirname(args.svg), { recursive: true });
  const svg = stackedBarsSvg(
    `Throughput against offered load, ${size}×${size}, ${steps} steps (tiny model, CPU)`,
    "img/s",
    rows.map((r) => ({
      name: `${r.mode.split(" (")[0]} @ ${r.rate}/s`,
      segments: [{ label: "images/s", value: r.throughput }],
    })),
  );
  writeFileSync(args.svg, svg);
}
