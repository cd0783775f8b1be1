import { join } from "node:path";
import type { ResolvedGenerationRequest } from "@sdgate/shared";
import {
  ANNOTATOR_FILE,
  AnnotatorSession,
  type ControlNetSession,
  type ControlNetUnit,
  type EngineLogger,
  loadControlNet,
  type ModelPreprocessor,
  preprocess,
  type RgbImage,
} from "../engine/index.ts";
import { createSession } from "../engine/models/onnx-session.ts";
import { padMap } from "./control-image.ts";
import type { InputImages } from "./input-image.ts";

/** What the engine's thread is told about ControlNets: folders by name, and where annotators are. */
export interface ControlFolders {
  controlNets: Record<string, string>;
  annotatorDir: string;
}

/**
 * The ControlNet and annotator sessions of the engine's thread: each loaded by the first request
 * that names it and kept (a session is expensive to create), then a job's units built from its
 * decoded images: preprocessed here, on the engine's thread, since annotators are ONNX models.
 */
export class ControlResources {
  readonly #folders: ControlFolders;
  readonly #providers: readonly string[];
  readonly #logger: EngineLogger;
  readonly #controlNets = new Map<string, Promise<ControlNetSession>>();
  readonly #annotators = new Map<ModelPreprocessor, Promise<AnnotatorSession>>();

  constructor(folders: ControlFolders, providers: readonly string[], logger: EngineLogger) {
    this.#folders = folders;
    this.#providers = providers;
    this.#logger = logger;
  }

  /** The job's units with their maps at the request's size, or `undefined` without any. */
  async units(
    request: ResolvedGenerationRequest,
    inputs: InputImages,
  ): Promise<ControlNetUnit[] | undefined> {
    if (request.controlnet === undefined) return undefined;
    const units: ControlNetUnit[] = [];
    for (const [i, unit] of request.controlnet.entries()) {
      const input = inputs.control?.[i];
      if (input === undefined)
        throw new Error(`job's control image ${i} was not decoded before it was queued`);
      const thresholds =
        unit.threshold_low === undefined || unit.threshold_high === undefined
          ? undefined
          : { low: unit.threshold_low, high: unit.threshold_high };
      const pre = unit.preprocessor;
      const map = await preprocess(input.image, {
        preprocessor: pre,
        ...(thresholds === undefined ? {} : { thresholds }),
        ...(pre === "depth" || pre === "openpose" ? { annotator: await this.#annotator(pre) } : {}),
      });
      units.push({
        controlNet: await this.#controlNet(unit.model),
        map: padMap(map, request.width, request.height),
        weight: unit.weight,
        guidanceStart: unit.guidance_start,
        guidanceEnd: unit.guidance_end,
        controlMode: unit.control_mode,
        record: {
          module: pre,
          model: unit.model,
          digest: unit.digest,
          resizeMode: unit.resize_mode,
          ...(thresholds === undefined ? {} : { thresholds }),
          imageSha256: input.sha256,
        },
      });
    }
    return units;
  }

  async release(): Promise<void> {
    const sessions = [...this.#controlNets.values(), ...this.#annotators.values()];
    await Promise.all(sessions.map((s) => s.then((session) => session.release()).catch(() => undefined)));
  }

  #controlNet(name: string): Promise<ControlNetSession> {
    const dir = this.#folders.controlNets[name];
    if (dir === undefined) throw new Error(`ControlNet '${name}' is not held (the route checks this)`);
    return remembered(this.#controlNets, name, () => loadControlNet(dir, this.#providers, this.#logger));
  }

  #annotator(kind: ModelPreprocessor): Promise<AnnotatorSession> {
    const dir = join(this.#folders.annotatorDir, kind);
    return remembered(this.#annotators, kind, async () => {
      return new AnnotatorSession(await createSession(dir, ANNOTATOR_FILE, this.#providers, this.#logger));
    });
  }
}

/** The cached promise, or a new one; a failed load is forgotten so the next request tries again. */
function remembered<K, V>(cache: Map<K, Promise<V>>, key: K, load: () => Promise<V>): Promise<V> {
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const loading = load();
  cache.set(key, loading);
  loading.catch(() => cache.delete(key));
  return loading;
}

/** The maps a job's units ran with, for `return_control_maps`. */
export function controlMaps(units: readonly ControlNetUnit[] | undefined): RgbImage[] {
  return (units ?? []).map((unit) => unit.map);
}
