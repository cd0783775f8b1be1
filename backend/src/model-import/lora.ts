/**
 * LoRA adapters merged into an SD 1.5 or SDXL checkpoint's weights as the builder reads them: `W +
 * scale · (alpha / rank) · up · down` for every Linear and Conv the adapter trains, so the built ONNX
 * model is the fine-tune with the LoRA applied and runs exactly as fast as the base.
 *
 * The file layouts LoRAs are shared in, kohya-ss sd-scripts' (A1111, ComfyUI, most shared LoRAs; LoCon's
 * convolution adapters have the same names with 4-d tensors) and PEFT's (diffusers), are read in
 * lora-names.ts.
 */
import { type LoraArchitecture, type LoraTarget, loraModuleName, parseAdapterName } from "./lora-names.ts";
import { SafetensorsFile } from "./safetensors.ts";

/**
 * `FILE.safetensors` or `FILE.safetensors:0.8`: a LoRA and the scale to merge it at (default 1).
 *
 * @example
 * parseLoraSpec("/loras/ink.safetensors:0.7") // { path: "/loras/ink.safetensors", scale: 0.7 }
 */
export function parseLoraSpec(spec: string): { path: string; scale: number } {
  const colon = spec.lastIndexOf(":");
  const suffix = colon === -1 ? "" : spec.slice(colon + 1);
  if (colon === -1 || !/^-?\d*\.?\d+$/.test(suffix)) return { path: spec, scale: 1 };
  return { path: spec.slice(0, colon), scale: Number(suffix) };
}

interface Adapter {
  down: string;
  up: string;
  alpha: string | undefined;
}

/** One adapter file and the strength to merge it with. */
export class LoraFile {
  readonly path: string;
  readonly scale: number;
  readonly #file: SafetensorsFile;
  /** `unet:<diffusers module>` or `text_encoder[_2]:<transformers module>` → its tensors. */
  readonly #adapters = new Map<string, Adapter>();
  readonly #applied = new Set<string>();
  readonly #unrecognized: string[] = [];

  private constructor(path: string, scale: number, file: SafetensorsFile, architecture: LoraArchitecture) {
    this.path = path;
    this.scale = scale;
    this.#file = file;
    for (const name of file.names) {
      const adapter = parseAdapterName(name, architecture);
      if (adapter === undefined) {
        // LyCORIS' LoHa/LoKr (`hada_w1_a`, `lokr_w1`, …) and anything else this does not merge
        this.#unrecognized.push(name);
        continue;
      }
      const entry = this.#adapters.get(adapter.key) ?? { down: "", up: "", alpha: undefined };
      if (adapter.part === "alpha") entry.alpha = name;
      else entry[adapter.part] = name;
      this.#adapters.set(adapter.key, entry);
    }
    for (const [key, adapter] of this.#adapters)
      if (adapter.down === "" || adapter.up === "")
        throw new Error(
          `${path}: adapter ${key} has no ${adapter.down === "" ? "down (A)" : "up (B)"} matrix`,
        );
    if (this.#adapters.size === 0) {
      file.close();
      throw new Error(
        `${path}: no LoRA adapters found (expected kohya's lora_unet_*/lora_te*_* or PEFT's unet.*.lora_A/lora_B tensors)`,
      );
    }
  }

  /**
   * Open `path` (a `.safetensors` LoRA) to merge at `scale` (1 as trained; A1111's `<lora:name:0.8>`
   * is 0.8) into a model of `architecture`.
   */
  static open(path: string, scale = 1, architecture: LoraArchitecture = "sd15"): LoraFile {
    if (!Number.isFinite(scale)) throw new Error(`${path}: LoRA scale ${scale} is not a number`);
    const file = SafetensorsFile.open(path);
    try {
      return new LoraFile(path, scale, file, architecture);
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /**
   * The weight `builderName` of `target` with this adapter merged in, in torch's layout (`[out, in]`
   * or `[out, in, kh, kw]`); `values` itself when the adapter does not train it.
   */
  apply(
    target: LoraTarget,
    builderName: string,
    values: Float32Array,
    torchShape: readonly number[],
  ): Float32Array {
    if (!builderName.endsWith(".weight") || this.scale === 0) return values;
    const key = `${target}:${loraModuleName(target, builderName)}`;
    const adapter = this.#adapters.get(key);
    if (adapter === undefined) return values;
    const down = this.#file.read(adapter.down);
    const up = this.#file.read(adapter.up);
    const out = torchShape[0] as number;
    const fanIn = values.length / out;
    const rank = up.length / out;
    if (!Number.isInteger(rank) || down.length !== rank * fanIn)
      throw new Error(
        `${this.path}: adapter ${key} has shapes [${this.#file.entry(adapter.up)?.shape.join(", ")}] · [${this.#file.entry(adapter.down)?.shape.join(", ")}], which do not make [${torchShape.join(", ")}]`,
      );
    const alpha = adapter.alpha === undefined ? rank : (this.#file.read(adapter.alpha)[0] as number);
    const factor = (this.scale * alpha) / rank;
    const merged = Float32Array.from(values);
    // merged[o, i] += factor · Σ_r up[o, r] · down[r, i]  (i runs over in × kh × kw)
    for (let o = 0; o < out; o++)
      for (let r = 0; r < rank; r++) {
        const u = factor * (up[o * rank + r] as number);
        if (u === 0) continue;
        const row = o * fanIn;
        const downRow = r * fanIn;
        for (let i = 0; i < fanIn; i++)
          merged[row + i] = (merged[row + i] as number) + u * (down[downRow + i] as number);
      }
    this.#applied.add(key);
    return merged;
  }

  /** Adapters merged into some weight so far. */
  get matchedCount(): number {
    return this.#applied.size;
  }

  /**
   * Adapters that matched no weight the builder read (a LoRA for another architecture, or a typo'd
   * name), then tensors that are no adapter this merges (LyCORIS' LoHa or LoKr, say).
   */
  unmatched(): string[] {
    return [...this.#adapters.keys()].filter((key) => !this.#applied.has(key)).concat(this.#unrecognized);
  }

  get adapterCount(): number {
    return this.#adapters.size;
  }

  close(): void {
    this.#file.close();
  }
}

/**
 * The LoRA files `specs` for a model of `architecture`, opened, then the checkpoint they merge into
 * (`open`); none stays open when one fails.
 */
export function openWithLoras<Checkpoint>(
  specs: readonly { path: string; scale: number }[],
  architecture: LoraArchitecture,
  open: (loras: readonly LoraFile[]) => Checkpoint,
): { loras: LoraFile[]; checkpoint: Checkpoint } {
  const loras: LoraFile[] = [];
  try {
    for (const { path, scale } of specs) loras.push(LoraFile.open(path, scale, architecture));
    return { loras, checkpoint: open(loras) };
  } catch (error) {
    for (const lora of loras) lora.close();
    throw error;
  }
}

/**
 * Throws for the first LoRA none of whose adapters matched a weight of the build: a LoRA for another
 * model (`other`), merged as nothing.
 *
 * @example
 * refuseUnmatchedLoras(loras, "an SDXL", "SD 1.5");
 */
export function refuseUnmatchedLoras(loras: readonly LoraFile[], model: string, other: string): void {
  const foreign = loras.find((lora) => lora.matchedCount === 0);
  if (foreign !== undefined)
    throw new Error(
      `${foreign.path}: none of its ${foreign.adapterCount} LoRA adapters matches ${model} weight (a LoRA for another model, such as ${other}?)`,
    );
}

/** `file: adapter` for every adapter of `loras` that matched no weight. */
export function unmatchedAdapters(loras: readonly LoraFile[]): string[] {
  return loras.flatMap((lora) => lora.unmatched().map((key) => `${lora.path}: ${key}`));
}
