/**
 * `node bench/gpu/cost-per-image.ts --price 2.69 --price-source "…" RESULTS.json [RESULTS.json…]`:
 * the cost of one image from measured throughput, beside the managed price it competes with.
 *
 * Each results file is bench/gpu/run.ts's results.json. For every provider × operator row, the best
 * measured images/s over its batches (the production path's `generateBatch` figure where the run has
 * it, else the bare loop's) gives GPU-seconds per image (one GPU), and × the GPU-hour price / 3600 the
 * money per image. `--managed` is the managed API's price per image (default $0.0036 for SDXL, the
 * figure issue 20 states); the target is a fifth of it. `--out FILE` writes the markdown table too.
 * The price comes from the deploy (`SDGATE_GPU_HOUR_PRICE`) when `--price` is not given.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

export interface ThroughputEntry {
  batch: number;
  imagesPerSecond: number;
  engineImagesPerSecond?: number;
}

/** The fields of a bench/gpu/run.ts results.json this reads. */
export interface RunResults {
  date: string;
  gpu: string | null;
  architecture?: string;
  dtype: string;
  sizePx: number;
  steps: number;
  rows: { provider: string; operators: string; error?: string; throughput: ThroughputEntry[] }[];
}

export interface CostRow {
  architecture: string;
  gpu: string;
  date: string;
  sizePx: number;
  steps: number;
  provider: string;
  operators: string;
  /** Where the images/s came from: the server's batching path or the bare loop. */
  path: "generateBatch" | "loop";
  batch: number;
  imagesPerSecond: number;
  gpuSecondsPerImage: number;
  dollarsPerImage: number;
  /** The managed price over ours. */
  cheaperBy: number;
}

/** One cost row per measured provider × operators of each results file. */
export function costRows(
  results: readonly RunResults[],
  pricePerGpuHour: number,
  managed: number,
): CostRow[] {
  if (!(pricePerGpuHour > 0)) throw new Error(`the GPU-hour price must be positive, got ${pricePerGpuHour}`);
  return results.flatMap((run) =>
    run.rows
      .filter((row) => row.error === undefined && row.throughput.length > 0)
      .map((row) => {
        const engine = row.throughput.filter((t) => t.engineImagesPerSecond !== undefined);
        const path = engine.length > 0 ? "generateBatch" : "loop";
        const rate = (t: ThroughputEntry) =>
          path === "generateBatch" ? (t.engineImagesPerSecond ?? 0) : t.imagesPerSecond;
        const best = [...(engine.length > 0 ? engine : row.throughput)].sort(
          (a, b) => rate(b) - rate(a),
        )[0] as ThroughputEntry;
        const gpuSecondsPerImage = 1 / rate(best);
        const dollarsPerImage = (gpuSecondsPerImage * pricePerGpuHour) / 3600;
        return {
          architecture: run.architecture ?? "sd15",
          gpu: run.gpu ?? "unknown",
          date: run.date,
          sizePx: run.sizePx,
          steps: run.steps,
          provider: row.provider,
          operators: row.operators,
          path,
          batch: best.batch,
          imagesPerSecond: rate(best),
          gpuSecondsPerImage,
          dollarsPerImage,
          cheaperBy: managed / dollarsPerImage,
        };
      }),
  );
}

export function costMarkdown(
  rows: readonly CostRow[],
  price: number,
  priceSource: string,
  managed: number,
): string {
  const lines = [
    `GPU-hour price: $${price} (${priceSource}); managed price per image: $${managed}; target: ≤ $${(managed / 5).toFixed(5)} (a fifth).`,
    "",
    "| model | GPU | size, steps | provider, operators | measured on | best batch | images/s | GPU-s/image | $/image | managed ÷ ours |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.architecture} | ${r.gpu} | ${r.sizePx}², ${r.steps} | ${r.provider}, ${r.operators} | ${r.path}, ${r.date} | ${r.batch} | ${r.imagesPerSecond.toFixed(2)} | ${r.gpuSecondsPerImage.toFixed(3)} | ${r.dollarsPerImage.toFixed(6)} | ${r.cheaperBy.toFixed(1)}× |`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      price: { type: "string" },
      "price-source": { type: "string" },
      managed: { type: "string", default: "0.0036" },
      out: { type: "string" },
    },
  });
  const priceText = values.price ?? process.env.SDGATE_GPU_HOUR_PRICE;
  if (priceText === undefined || positionals.length === 0) {
    console.error(
      "usage: node bench/gpu/cost-per-image.ts --price USD_PER_GPU_HOUR --price-source TEXT results.json…",
    );
    process.exit(2);
  }
  const price = Number(priceText);
  const managed = Number(values.managed);
  const results = positionals.map((path) => JSON.parse(readFileSync(path, "utf8")) as RunResults);
  const markdown = costMarkdown(
    costRows(results, price, managed),
    price,
    values["price-source"] ?? "source not given",
    managed,
  );
  if (values.out !== undefined) writeFileSync(values.out, `${markdown}\n`);
  console.log(markdown);
}
