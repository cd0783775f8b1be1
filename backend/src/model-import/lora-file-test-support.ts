/** LoRA files for the import tests: adapters of known matrices, and the merge they should make. */
import { writeFileSync } from "node:fs";
import { gaussian } from "../model-builder/ort-test-support.ts";
import type { LoraTarget } from "./lora-names.ts";
import { encodeSafetensors, type SafetensorsTensor } from "./safetensors.ts";

/** One adapter: which weight, its rank, and alpha as kohya stores it (absent: alpha = rank). */
export interface AdapterSpec {
  target: LoraTarget;
  /** The diffusers (UNet) or transformers (CLIP) module path. */
  module: string;
  kohya: string;
  shape: readonly number[];
  rank: number;
  alpha?: number;
}

/** The adapter's matrices: up `[out, rank]` and down `[rank, in·kh·kw]`, in torch's 2-d or 4-d shapes. */
export function matrices(spec: AdapterSpec, seed: number) {
  const [out, ...inner] = spec.shape as [number, ...number[]];
  const fanIn = inner.reduce((a, b) => a * b, 1);
  const conv = spec.shape.length === 4;
  return {
    up: { values: gaussian(out * spec.rank, seed), shape: conv ? [out, spec.rank, 1, 1] : [out, spec.rank] },
    down: { values: gaussian(spec.rank * fanIn, seed + 1), shape: [spec.rank, ...inner] },
    fanIn,
  };
}

/** kohya's tensors for `specs`, the i-th adapter's matrices drawn from seed 10·i. */
export function kohyaTensors(specs: readonly AdapterSpec[]): SafetensorsTensor[] {
  return specs.flatMap((spec, i): SafetensorsTensor[] => {
    const { up, down } = matrices(spec, 10 * i);
    const alpha = spec.alpha === undefined ? [] : [Float32Array.of(spec.alpha)];
    return [
      { name: `${spec.kohya}.lora_up.weight`, dtype: "F32", ...up },
      { name: `${spec.kohya}.lora_down.weight`, dtype: "F32", ...down },
      ...alpha.map((values) => ({ name: `${spec.kohya}.alpha`, dtype: "F32" as const, shape: [], values })),
    ];
  });
}

/** The same adapters in PEFT's layout (`<network>.<module>.lora_A/lora_B.weight`, no alpha). */
export function peftTensors(specs: readonly AdapterSpec[]): SafetensorsTensor[] {
  return specs.flatMap((spec, i) => {
    const { up, down } = matrices(spec, 10 * i);
    return [
      { name: `${spec.target}.${spec.module}.lora_B.weight`, dtype: "F32" as const, ...up },
      { name: `${spec.target}.${spec.module}.lora_A.weight`, dtype: "F32" as const, ...down },
    ];
  });
}

export function writeKohya(path: string, specs: readonly AdapterSpec[]): void {
  writeFileSync(path, encodeSafetensors(kohyaTensors(specs), { format: "pt" }));
}

/** `base + scale · alpha / rank · up · down` for `spec` drawn from `seed`, computed the plain way. */
export function expected(
  spec: AdapterSpec,
  seed: number,
  baseValues: Float32Array,
  scale: number,
): Float32Array {
  const { up, down, fanIn } = matrices(spec, seed);
  const out = spec.shape[0] as number;
  const factor = (scale * (spec.alpha ?? spec.rank)) / spec.rank;
  const result = Float32Array.from(baseValues);
  for (let o = 0; o < out; o++)
    for (let i = 0; i < fanIn; i++) {
      let sum = 0;
      for (let r = 0; r < spec.rank; r++)
        sum += (up.values[o * spec.rank + r] as number) * (down.values[r * fanIn + i] as number);
      result[o * fanIn + i] = (result[o * fanIn + i] as number) + factor * sum;
    }
  return result;
}
