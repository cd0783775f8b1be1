/**
 * LoRA adapters merged into an SD 1.5 checkpoint's weights as the builder reads them: `W + scale ·
 * (alpha / rank) · up · down` for every Linear and Conv the adapter trains, so the built ONNX model is
 * the fine-tune with the LoRA applied and runs exactly as fast as the base.
 *
 * Two file layouts, the ones LoRAs are shared in:
 * - kohya-ss sd-scripts (A1111, ComfyUI, most shared LoRAs): `lora_unet_<module>.lora_down.weight`,
 *   `.lora_up.weight`, `.alpha`, where `<module>` is the diffusers UNet module path with `_` for `.`,
 *   and `lora_te_<module>` for transformers' CLIP text model. LoCon's convolution adapters have the
 *   same names with 4-d tensors.
 * - PEFT, as diffusers saves LoRAs today: `unet.<module>.lora_A.weight` (down) and `.lora_B.weight`
 *   (up), `text_encoder.<module>.…`, with no alpha (alpha = rank).
 */
import { clipTextModelNames } from "./checkpoint-weights.ts";
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

/** Which network a builder weight belongs to. */
export type LoraTarget = "unet" | "text_encoder";

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
  /** `unet:<diffusers module>` or `text_encoder:<transformers module>` → its tensors. */
  readonly #adapters = new Map<string, Adapter>();
  readonly #applied = new Set<string>();
  readonly #unrecognized: string[] = [];

  private constructor(path: string, scale: number, file: SafetensorsFile) {
    this.path = path;
    this.scale = scale;
    this.#file = file;
    for (const name of file.names) {
      const adapter = parseAdapterName(name);
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
        `${path}: no LoRA adapters found (expected kohya's lora_unet_*/lora_te_* or PEFT's unet.*.lora_A/lora_B tensors)`,
      );
    }
  }

  /**
   * Open `path` (a `.safetensors` LoRA) to merge at `scale` (1 as trained; A1111's `<lora:name:0.8>`
   * is 0.8).
   */
  static open(path: string, scale = 1): LoraFile {
    if (!Number.isFinite(scale)) throw new Error(`${path}: LoRA scale ${scale} is not a number`);
    const file = SafetensorsFile.open(path);
    try {
      return new LoraFile(path, scale, file);
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
    const key = `${target}:${moduleName(target, builderName)}`;
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
 * The module an adapter for `builderName` is keyed by: the diffusers UNet path, or transformers' CLIP
 * path (`text_model.encoder.layers.0.self_attn.q_proj`), without `.weight`.
 */
function moduleName(target: LoraTarget, builderName: string): string {
  const name = target === "text_encoder" ? (clipTextModelNames(builderName)[0] as string) : builderName;
  return name.slice(0, -".weight".length);
}

const KOHYA = /^lora_(unet|te)_(.+)\.(lora_down\.weight|lora_up\.weight|alpha)$/;
const PEFT = /^(unet|text_encoder)\.(.+)\.(lora_A\.weight|lora_B\.weight)$/;

/** kohya's `_`-joined module names, back to dotted paths: the modules of SD 1.5 a LoRA can train. */
const KOHYA_UNET_PATH =
  /^(down_blocks|up_blocks)_(\d+)_(attentions|resnets|downsamplers|upsamplers)_(\d+)_(.+)$|^(mid_block)_(attentions|resnets)_(\d+)_(.+)$/;

/**
 * Which adapter a tensor of a LoRA file belongs to (`unet:<diffusers module>` or
 * `text_encoder:<transformers module>`) and which part it is; undefined for a tensor that is no
 * LoRA adapter this reads (LyCORIS' LoHa or LoKr, say).
 */
export function parseAdapterName(name: string): { key: string; part: "down" | "up" | "alpha" } | undefined {
  const kohya = KOHYA.exec(name);
  if (kohya !== null) {
    const [, network, module, suffix] = kohya as unknown as [string, string, string, string];
    const part = suffix === "alpha" ? "alpha" : suffix.startsWith("lora_down") ? "down" : "up";
    const target = network === "unet" ? "unet" : "text_encoder";
    // a module this reading does not know stays under its own name, so it shows as unmatched
    const path = (network === "unet" ? kohyaUNetPath(module) : kohyaClipPath(module)) ?? `?${module}`;
    return { key: `${target}:${path}`, part };
  }
  const peft = PEFT.exec(name);
  if (peft !== null) {
    const [, target, module, suffix] = peft as unknown as [string, LoraTarget, string, string];
    return { key: `${target}:${module}`, part: suffix.startsWith("lora_A") ? "down" : "up" };
  }
  return undefined;
}

/** `down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q` → `down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q`. */
export function kohyaUNetPath(module: string): string | undefined {
  const match = KOHYA_UNET_PATH.exec(module);
  if (match === null) return undefined;
  const [, blocks, block, kind, index, rest, mid, midKind, midIndex, midRest] = match;
  const prefix =
    blocks !== undefined ? `${blocks}.${block}.${kind}.${index}` : `${mid}.${midKind}.${midIndex}`;
  return `${prefix}.${innerPath((blocks !== undefined ? rest : midRest) as string)}`;
}

/** `text_model_encoder_layers_0_self_attn_q_proj` → `text_model.encoder.layers.0.self_attn.q_proj`. */
export function kohyaClipPath(module: string): string | undefined {
  const match = /^text_model_encoder_layers_(\d+)_(self_attn|mlp)_(.+)$/.exec(module);
  if (match === null) return undefined;
  const [, layer, block, leaf] = match;
  return `text_model.encoder.layers.${layer}.${block}.${leaf}`;
}

/**
 * The part of a UNet module path inside a block: names with underscores of their own (`proj_in`,
 * `transformer_blocks`, `to_out`, `time_emb_proj`, `conv_shortcut`) are kept whole.
 */
function innerPath(rest: string): string {
  const words = [
    "transformer_blocks",
    "proj_in",
    "proj_out",
    "to_q",
    "to_k",
    "to_v",
    "to_out",
    "time_emb_proj",
    "conv_shortcut",
  ];
  const protectedRest = words.reduce(
    (text, word) => text.replaceAll(word, word.replaceAll("_", "\u0000")),
    rest,
  );
  return protectedRest.replaceAll("_", ".").replaceAll("\u0000", "_");
}
