import type { Tensor } from "onnxruntime-node";
import type { LoraTarget } from "../../model-import/lora-names.ts";
import { InvalidArgumentError } from "../errors.ts";
import { type AdapterSlot, type SlotAdapter, slotFeeds } from "./adapter-slots.ts";
import type { LoraAdapters, LowRankAdapter } from "./lora-adapters.ts";

/** A LoRA as a request applies it: the backend's file for `digest`, at A1111's `weight`. */
export interface RequestLora {
  name: string;
  /** SHA-256 of the file, hex. */
  digest: string;
  weight: number;
  /** The file on this backend (`lora-catalog.ts` resolves digests to files). */
  path: string;
}

/**
 * The set in a canonical order (by digest, then weight): the adapters sum, so the order a request
 * names them in changes nothing, and two requests naming one set in two orders share a batch and
 * get the same bits.
 */
export function canonicalLoraSet<L extends { digest: string; weight: number }>(loras: readonly L[]): L[] {
  return [...loras]
    .filter((lora) => lora.weight !== 0)
    .sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : a.weight - b.weight));
}

/** A key naming a LoRA set (empty for none): equal keys, equal adapters. */
export function loraSetKey(loras: readonly { digest: string; weight: number }[] | undefined): string {
  return canonicalLoraSet(loras ?? [])
    .map((lora) => `${lora.digest}*${lora.weight}`)
    .join("+");
}

/** One network of a model, as the set is applied to it. */
export interface AdaptedNetwork {
  /** `unet`, `text_encoder` or SDXL's `text_encoder_2`: the prefix of the adapter keys that train it. */
  target: LoraTarget;
  slots: ReadonlyMap<string, AdapterSlot>;
}

/**
 * Each network's adapter feeds for a canonical set: per layer, every LoRA's down and up concatenated
 * along the rank, `weight · alpha / rank` folded into up, so a layer computes
 * `x·W + Σ_l weight_l · (alpha_l / rank_l) · (x·down_lᵀ)·up_lᵀ`, the build-time merge's
 * `W + scale · (alpha / rank) · up · down` (model-import/lora.ts) applied to x. A LoRA that trains a
 * layer these networks have no adapter input for, with shapes other than the layer's, or holding
 * tensors that are no LoRA adapter, is refused naming it.
 */
export function loraSetFeeds(
  networks: readonly AdaptedNetwork[],
  set: readonly { lora: RequestLora; adapters: LoraAdapters }[],
): Record<string, Tensor>[] {
  const perNetwork = networks.map(() => new Map<string, { lora: RequestLora; adapter: LowRankAdapter }[]>());
  for (const { lora, adapters } of set) {
    if (adapters.unrecognized.length > 0)
      refuse(lora, `holds tensors that are no LoRA adapter sdgate applies (${adapters.unrecognized[0]})`);
    for (const [key, adapter] of adapters.adapters) {
      const index = networks.findIndex((n) => key.startsWith(`${n.target}:`));
      const network = networks[index];
      const module = key.slice(key.indexOf(":") + 1);
      const slot = network?.slots.get(module);
      if (network === undefined || slot === undefined)
        refuse(lora, `trains ${key}, which this model has no LoRA input for`);
      checkFits(lora, module, slot, adapter);
      const list = perNetwork[index]?.get(module) ?? [];
      list.push({ lora, adapter });
      perNetwork[index]?.set(module, list);
    }
  }
  return networks.map((network, i) => {
    const combined = new Map<string, SlotAdapter>();
    for (const [module, parts] of perNetwork[i] ?? [])
      combined.set(module, concatenate(network.slots.get(module) as AdapterSlot, parts));
    return slotFeeds(network.slots, combined);
  });
}

function refuse(lora: RequestLora, why: string): never {
  throw new InvalidArgumentError(
    "lora",
    lora.name,
    `has to name LoRAs made for this model (this one ${why})`,
  );
}

function checkFits(lora: RequestLora, module: string, slot: AdapterSlot, adapter: LowRankAdapter): void {
  const fanIn = slot.inFeatures * slot.kernel * slot.kernel;
  const size = (shape: readonly number[]) => shape.slice(1).reduce((a, b) => a * b, 1);
  const fits =
    adapter.rank > 0 &&
    size(adapter.downShape) === fanIn &&
    adapter.upShape[0] === slot.outFeatures &&
    size(adapter.upShape) === adapter.rank;
  if (!fits)
    refuse(
      lora,
      `has ${module} as [${adapter.upShape.join(", ")}] · [${adapter.downShape.join(", ")}]; the model's layer is ${slot.outFeatures} × ${fanIn}`,
    );
}

/**
 * One layer's adapters side by side along the rank. A Linear's inputs are `down: [in, R]` and
 * `up: [R, out]` (x·W layout, so torch's down and up are transposed); a convolution's are
 * `[R, in·k·k]` and `[out, R]`, torch's layout.
 */
function concatenate(slot: AdapterSlot, parts: readonly { lora: RequestLora; adapter: LowRankAdapter }[]) {
  const fanIn = slot.inFeatures * slot.kernel * slot.kernel;
  const out = slot.outFeatures;
  const rank = parts.reduce((sum, { adapter }) => sum + adapter.rank, 0);
  const down = new Float32Array(rank * fanIn);
  const up = new Float32Array(rank * out);
  let offset = 0;
  for (const { lora, adapter } of parts) {
    const r = adapter.rank;
    const factor = lora.weight * adapter.alphaScale;
    for (let k = 0; k < r; k++) {
      const row = k + offset;
      for (let i = 0; i < fanIn; i++) {
        const value = adapter.down[k * fanIn + i] as number;
        if (slot.kind === "linear") down[i * rank + row] = value;
        else down[row * fanIn + i] = value;
      }
      for (let o = 0; o < out; o++) {
        const value = factor * (adapter.up[o * r + k] as number);
        if (slot.kind === "linear") up[row * out + o] = value;
        else up[o * rank + row] = value;
      }
    }
    offset += r;
  }
  return { down, up, rank } satisfies SlotAdapter;
}
