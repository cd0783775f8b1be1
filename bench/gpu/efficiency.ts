/**
 * A UNet profile read as achieved TFLOP/s per kind of work: the convolutions, the dense projections and
 * attention carry nearly all of SD 1.5's FLOPs (unet-flops.ts), everything else is memory-bound.
 *
 *   node bench/gpu/efficiency.ts PROFILE.json [--latents 16] [--size 512] [--peak 989]
 *
 * prints the table for a recorded `profile-unet.ts` summary (`--latents`: the UNet call's batch, 2 × the
 * image batch with CFG). Times taken under CUDA_LAUNCH_BLOCKING=1 include each launch's wait, so the
 * rates are lower bounds.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { OpProfile } from "./op-profile.ts";
import { sd15UnetFlops, type UnetFlops } from "./unet-flops.ts";

/** Which onnxruntime operators do each kind of the UNet's counted work, in both operator sets. */
const KIND_OPERATORS: Record<keyof UnetFlops, readonly string[]> = {
  conv: ["Conv", "NhwcConv"],
  linear: ["MatMul", "Gemm"],
  attention: ["MultiHeadAttention", "Attention", "Softmax"],
};

export interface EfficiencyRow {
  kind: keyof UnetFlops | "rest";
  operators: string[];
  ms: number;
  /** TFLOP done by these operators per UNet call; undefined for the uncounted rest. */
  tflop?: number;
  tflops?: number;
  peakShare?: number;
}

/**
 * Per kind: time per call, TFLOP per call and the rate; the rest (norms, activations, additions,
 * copies) gets its time only. A standard graph's attention is MatMul + Softmax + MatMul, so there the
 * split between `linear` and `attention` is not meaningful and only the total rate is.
 *
 * @example
 * efficiencyRows(profile, { latents: 16, latentPx: 64, peakTflops: 989 })
 */
export function efficiencyRows(
  profile: Pick<OpProfile, "byType">,
  options: { latents: number; latentPx: number; peakTflops?: number | undefined },
): EfficiencyRow[] {
  const flops = sd15UnetFlops(options.latentPx);
  const rows: EfficiencyRow[] = [];
  const claimed = new Set<string>();
  for (const kind of Object.keys(KIND_OPERATORS) as (keyof UnetFlops)[]) {
    const types = profile.byType.filter((t) => KIND_OPERATORS[kind].includes(t.opType));
    for (const t of types) claimed.add(t.opType);
    const ms = types.reduce((sum, t) => sum + t.totalUs, 0) / 1000;
    const tflop = (flops[kind] * options.latents) / 1e12;
    const tflops = ms > 0 ? tflop / (ms / 1000) : undefined;
    rows.push({
      kind,
      operators: types.map((t) => t.opType),
      ms,
      tflop,
      ...(tflops === undefined ? {} : { tflops }),
      ...(tflops === undefined || options.peakTflops === undefined
        ? {}
        : { peakShare: tflops / options.peakTflops }),
    });
  }
  const rest = profile.byType.filter((t) => !claimed.has(t.opType));
  rows.push({
    kind: "rest",
    operators: rest.map((t) => t.opType),
    ms: rest.reduce((sum, t) => sum + t.totalUs, 0) / 1000,
  });
  return rows;
}

/** At most five names, then how many more. */
function listed(operators: readonly string[]): string {
  if (operators.length === 0) return "–";
  const more = operators.length - 5;
  return operators.slice(0, 5).join(", ") + (more > 0 ? ` and ${more} more` : "");
}

/** The rows as a Markdown table. */
export function efficiencyMarkdown(rows: readonly EfficiencyRow[]): string {
  const fixed = (v: number | undefined, digits: number) => (v === undefined ? "–" : v.toFixed(digits));
  return [
    "| work | operators | time per call | TFLOP per call | TFLOP/s | share of fp16 peak |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${r.kind === "rest" ? "rest (memory-bound)" : r.kind} | ${listed(r.operators)} | ${r.ms.toFixed(2)} ms | ${fixed(r.tflop, 2)} | ${fixed(r.tflops, 0)} | ${r.peakShare === undefined ? "–" : `${(100 * r.peakShare).toFixed(0)} %`} |`,
    ),
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      latents: { type: "string", default: "16" },
      size: { type: "string", default: "512" },
      peak: { type: "string", default: "989" },
    },
  });
  const file = positionals[0];
  if (file === undefined) throw new Error("usage: efficiency.ts PROFILE.json [--latents 16] [--size 512]");
  const positive = (name: string, text: string) => {
    const value = Number(text);
    if (!(value > 0)) throw new Error(`--${name}: '${text}' is not a positive number`);
    return value;
  };
  const profile = JSON.parse(readFileSync(file, "utf8")) as OpProfile;
  const rows = efficiencyRows(profile, {
    latents: positive("latents", values.latents),
    latentPx: positive("size", values.size) / 8,
    peakTflops: positive("peak", values.peak),
  });
  console.log(efficiencyMarkdown(rows));
}
