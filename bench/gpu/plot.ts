/**
 * `node bench/gpu/plot.ts OUT.svg TITLE RESULTS.json…`: images per second against batch size for the
 * plain `cuda` (or `webgpu`, `cpu`) rows of the given `bench/gpu/run.ts` results (e.g.
 * docs/gpu-results/…/results-b.json), one bar each, labelled with the GPU and graph, so a reader sees
 * where throughput levels off. Rows run with provider options (the thread-pool comparisons) are left
 * out; what the plain provider meant when the file was made belongs in TITLE.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { stackedBarsSvg } from "../lib/svg-bars.ts";

interface Results {
  gpu: string | null;
  rows: { provider: string; operators: string; throughput: { batch: number; imagesPerSecond: number }[] }[];
}

const [out, title, ...inputs] = process.argv.slice(2);
if (out === undefined || title === undefined || inputs.length === 0)
  throw new Error("usage: plot.ts OUT.svg TITLE RESULTS.json…");
const bars = inputs.flatMap((file) => {
  const results = JSON.parse(readFileSync(file, "utf8")) as Results;
  const gpu = (results.gpu ?? "no GPU").replace(/^NVIDIA /, "").replace(/ 80GB HBM3$/, "");
  const plain = results.rows.filter((row) => !row.provider.includes(":"));
  return plain.flatMap((row) =>
    row.throughput.map((t) => ({
      name: `${gpu} ${row.operators} ×${t.batch}`,
      segments: [{ label: `${row.operators} graph`, value: t.imagesPerSecond }],
    })),
  );
});
writeFileSync(out, stackedBarsSvg(title, "img/s", bars));
console.log(`wrote ${out} (${bars.length} bars)`);
