import { type LoraArchitecture, parseAdapterName } from "../../model-import/lora-names.ts";
import { SafetensorsFile } from "../../model-import/safetensors.ts";

/** One trained layer of a LoRA: `W + (alpha / rank) · up · down` at strength 1. */
export interface LowRankAdapter {
  /** `[rank, in]` or, LoCon's, `[rank, in, kH, kW]`. */
  down: Float32Array;
  downShape: readonly number[];
  /** `[out, rank]` or `[out, rank, 1, 1]`. */
  up: Float32Array;
  upShape: readonly number[];
  rank: number;
  /** `alpha / rank` (kohya's `.alpha`; PEFT files have none, so 1). */
  alphaScale: number;
}

/** A LoRA file's adapters, keyed `unet:<diffusers module>` or `text_encoder[_2]:<transformers module>`. */
export interface LoraAdapters {
  adapters: ReadonlyMap<string, LowRankAdapter>;
  /** Tensors that are no adapter this applies (LyCORIS' LoHa or LoKr, say). */
  unrecognized: readonly string[];
}

/**
 * Read every adapter of a `.safetensors` LoRA, in kohya's or PEFT's layout (see
 * model-import/lora-names.ts; model-import/lora.ts merges the same files at build time), as float32,
 * keyed for a model of `architecture` (SDXL's: `text_encoder_2:*` for the second encoder).
 *
 * @example
 * const { adapters } = readLoraAdapters("/models/loras/ink.safetensors");
 */
export function readLoraAdapters(path: string, architecture: LoraArchitecture = "sd15"): LoraAdapters {
  const file = SafetensorsFile.open(path);
  try {
    const parts = new Map<string, { down?: string; up?: string; alpha?: string }>();
    const unrecognized: string[] = [];
    for (const name of file.names) {
      const parsed = parseAdapterName(name, architecture);
      if (parsed === undefined) {
        unrecognized.push(name);
        continue;
      }
      const entry = parts.get(parsed.key) ?? {};
      entry[parsed.part] = name;
      parts.set(parsed.key, entry);
    }
    const adapters = new Map<string, LowRankAdapter>();
    for (const [key, { down, up, alpha }] of parts) {
      if (down === undefined || up === undefined) {
        unrecognized.push(key);
        continue;
      }
      const downShape = file.entry(down)?.shape ?? [];
      const upShape = file.entry(up)?.shape ?? [];
      const rank = downShape[0] ?? 0;
      const alphaValue = alpha === undefined ? rank : (file.read(alpha)[0] ?? rank);
      adapters.set(key, {
        down: file.read(down),
        downShape,
        up: file.read(up),
        upShape,
        rank,
        alphaScale: rank === 0 ? 0 : alphaValue / rank,
      });
    }
    return { adapters, unrecognized };
  } finally {
    file.close();
  }
}
