import { InvalidArgumentError } from "../errors.ts";
import { TextEncoderSession } from "../models/text-encoder.ts";
import type { PipelineComponents } from "../pipelines/generate.ts";
import { type LoraAdapters, readLoraAdapters } from "./lora-adapters.ts";
import {
  type AdaptedNetwork,
  canonicalLoraSet,
  loraSetFeeds,
  loraSetKey,
  type RequestLora,
} from "./lora-set.ts";

/** LoRA sets whose feeds stay ready; each holds rank × (in + out) values per trained layer. */
const CACHED_SETS = 8;
/** LoRA files kept read (a set's feeds are built from them). */
const CACHED_FILES = 16;

/**
 * A pipeline's components per LoRA set: the same sessions, with the set's adapters fed to the UNet's
 * and the text encoder's adapter inputs. A set's feeds are built once and kept (least recently used
 * out), so a new set costs reading its files and concatenating their matrices, and a known one
 * nothing; no session is built or rebuilt.
 */
export class LoraComponents {
  readonly #base: PipelineComponents;
  readonly #networks: AdaptedNetwork[];
  readonly #sets = new Map<string, PipelineComponents>();
  readonly #files = new Map<string, LoraAdapters>();

  constructor(base: PipelineComponents) {
    this.#base = base;
    this.#networks = [
      { target: "unet", slots: base.unet.adapterSlots },
      // SDXL's second encoder has its own adapters: `lora_te2_*`, PEFT's `text_encoder_2.*`
      ...base.text.encoders.map((encoder, i) => ({
        target: i === 0 ? ("text_encoder" as const) : ("text_encoder_2" as const),
        slots: encoder instanceof TextEncoderSession ? encoder.adapterSlots : new Map(),
      })),
    ];
  }

  /** Whether the model was built with LoRA inputs (`build-models --lora-inputs`). */
  get acceptsLoras(): boolean {
    return this.#networks.some((network) => network.slots.size > 0);
  }

  /** The components for `loras` (the base ones for none). */
  for(loras: readonly RequestLora[] | undefined): PipelineComponents {
    const set = canonicalLoraSet(loras ?? []);
    if (set.length === 0) return this.#base;
    const key = loraSetKey(set);
    const cached = this.#sets.get(key);
    if (cached !== undefined) {
      this.#sets.delete(key);
      this.#sets.set(key, cached);
      return cached;
    }
    if (!this.acceptsLoras)
      throw new InvalidArgumentError(
        "lora",
        set[0]?.name,
        "needs a model built with LoRA inputs (build-models --lora-inputs); this one has none",
      );
    const adapters = set.map((lora) => ({ lora, adapters: this.#adapters(lora) }));
    const [unetFeeds, ...textFeeds] = loraSetFeeds(this.#networks, adapters);
    // the device loop's UNet has no adapter inputs (it declines such models): LoRA sets run on the host
    const { deviceLoop: _hostLoopOnly, ...base } = this.#base;
    const components: PipelineComponents = {
      ...base,
      unet: this.#base.unet.withAdapters(unetFeeds ?? {}),
      controlUnet: this.#controlUnetFor(adapters),
      text: {
        ...this.#base.text,
        encoders: this.#base.text.encoders.map((encoder, i) =>
          encoder instanceof TextEncoderSession ? encoder.withAdapters(textFeeds[i] ?? {}) : encoder,
        ),
      },
    };
    remember(this.#sets, key, components, CACHED_SETS);
    return components;
  }

  /**
   * The ControlNet UNet (`cnet/`, loaded on first use) with the set's adapters: a LoRA applies to
   * both UNets, or a request with a ControlNet unit would silently lose it.
   */
  #controlUnetFor(adapters: Parameters<typeof loraSetFeeds>[1]): PipelineComponents["controlUnet"] {
    let adapted: ReturnType<PipelineComponents["controlUnet"]> | undefined;
    return () => {
      adapted ??= this.#base.controlUnet().then((unet) => {
        const [, ...textNetworks] = this.#networks;
        const [feeds] = loraSetFeeds(
          [{ target: "unet", slots: unet.adapterSlots }, ...textNetworks],
          adapters,
        );
        return unet.withAdapters(feeds ?? {});
      });
      // a failed load or a refused set is tried again by the next request, as the base loader does
      adapted.catch(() => {
        adapted = undefined;
      });
      return adapted;
    };
  }

  #adapters(lora: RequestLora): LoraAdapters {
    const cached = this.#files.get(lora.digest);
    if (cached !== undefined) return cached;
    // kohya names SDXL's UNet modules by the original layout, and its encoders lora_te1_ / lora_te2_
    const adapters = readLoraAdapters(lora.path, this.#base.traits.architecture === "sdxl" ? "sdxl" : "sd15");
    remember(this.#files, lora.digest, adapters, CACHED_FILES);
    return adapters;
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V, limit: number): void {
  map.set(key, value);
  for (const oldest of map.keys()) {
    if (map.size <= limit) break;
    map.delete(oldest);
  }
}
