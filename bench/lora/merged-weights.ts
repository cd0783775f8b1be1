import type { TensorRequest, Weights } from "../../backend/src/model-builder/weights.ts";
import type { LoraFile } from "../../backend/src/model-import/lora.ts";
import type { LoraTarget } from "../../backend/src/model-import/lora-names.ts";

/**
 * `base`'s weights with `lora` merged in as the build-time import merges it (model-import/lora.ts),
 * for seeded random weights: those come in the builder's layout, so a Linear's `[in, out]` is turned
 * to torch's `[out, in]` for the merge and back.
 */
export class MergedWeights implements Weights {
  readonly #base: Weights;
  readonly #lora: LoraFile;
  readonly #target: LoraTarget;

  constructor(base: Weights, lora: LoraFile, target: LoraTarget) {
    this.#base = base;
    this.#lora = lora;
    this.#target = target;
  }

  normal(name: string, count: number, std: number, tensor: TensorRequest): Float32Array {
    const values = this.#base.normal(name, count, std, tensor);
    if (tensor.transpose !== true) return this.#lora.apply(this.#target, name, values, tensor.torchShape);
    const [out, inFeatures] = tensor.torchShape as [number, number];
    const torch = transpose(values, inFeatures, out);
    const merged = this.#lora.apply(this.#target, name, torch, tensor.torchShape);
    return merged === torch ? values : transpose(merged, out, inFeatures);
  }
}

/** `[rows, cols]` → `[cols, rows]`. */
function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c] as number;
  return out;
}
