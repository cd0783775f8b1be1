import { ModelLoadError } from "../errors.ts";
import { type ClipImageConfig, clipPixelValues } from "../image/clip-image-input.ts";
import type { RgbImage, SafetyChecker, SafetyVerdict } from "../types.ts";
import {
  findInput,
  fixedDim,
  floatTensor,
  hasFixedBatchOfOne,
  type LoadedSession,
  outputData,
  requireFloat,
  type TensorMetadata,
} from "./onnx-session.ts";

const FLAGGED = "has_nsfw_concepts";
/** Outputs sdgate's own exports add; diffusers' conversion script writes only the two standard ones. */
const CONCEPT_SCORES = "concept_scores";
const SPECIAL_SCORES = "special_scores";

/**
 * diffusers' safety checker as its conversion script exports it (`clip_input`, `images` →
 * `out_images`, `has_nsfw_concepts`). The image replacement in `out_images` is not used: the caller
 * applies its own policy, so a 1×1 stand-in is fed as `images`. When the export also has
 * `concept_scores` and `special_scores`, the concepts that fired are reported by index.
 */
export class SafetyCheckerSession implements SafetyChecker {
  readonly #loaded: LoadedSession;
  readonly #clipInput: TensorMetadata;
  readonly #images: TensorMetadata;
  readonly #config: ClipImageConfig;
  readonly #fetches: string[];

  constructor(loaded: LoadedSession, config: ClipImageConfig) {
    this.#loaded = loaded;
    this.#clipInput = findInput(loaded, ["clip_input"]);
    this.#images = findInput(loaded, ["images"]);
    requireFloat(loaded, this.#clipInput);
    requireFloat(loaded, this.#images);
    const outputs = loaded.session.outputNames;
    if (!outputs.includes(FLAGGED))
      throw new ModelLoadError(
        `${loaded.file}: ${FLAGGED}`,
        `output tensor missing (the session has ${outputs.join(", ") || "no outputs"})`,
      );
    const crop = fixedDim(this.#clipInput, 2);
    this.#config =
      crop === undefined
        ? config
        : { ...config, cropPx: crop, shortestEdgePx: Math.max(crop, config.shortestEdgePx) };
    this.#fetches = [FLAGGED, ...[CONCEPT_SCORES, SPECIAL_SCORES].filter((name) => outputs.includes(name))];
  }

  async check(images: readonly RgbImage[]): Promise<SafetyVerdict[]> {
    const pixels = await Promise.all(images.map((image) => clipPixelValues(image, this.#config)));
    const chunk = hasFixedBatchOfOne(this.#clipInput) ? 1 : Math.max(1, pixels.length);
    const verdicts: SafetyVerdict[] = [];
    for (let start = 0; start < pixels.length; start += chunk) {
      verdicts.push(...(await this.#run(pixels.slice(start, start + chunk))));
    }
    return verdicts;
  }

  async #run(pixels: readonly Float32Array[]): Promise<SafetyVerdict[]> {
    const n = pixels.length;
    const crop = this.#config.cropPx;
    const clip = new Float32Array(n * 3 * crop * crop);
    pixels.forEach((values, i) => {
      clip.set(values, i * values.length);
    });
    const [height, width] = [fixedDim(this.#images, 1) ?? 1, fixedDim(this.#images, 2) ?? 1];
    const feeds = {
      [this.#clipInput.name]: floatTensor(this.#clipInput, clip, [n, 3, crop, crop]),
      [this.#images.name]: floatTensor(this.#images, new Float32Array(n * height * width * 3), [
        n,
        height,
        width,
        3,
      ]),
    };
    const results = await this.#loaded.session.run(feeds, this.#fetches);
    const flagged = results[FLAGGED];
    if (flagged === undefined || flagged.size !== n)
      throw new ModelLoadError(`${this.#loaded.file}: ${FLAGGED}`, `expected ${n} values`);
    const flags = flagged.data as ArrayLike<number | boolean | bigint>;
    const scores = (name: string) =>
      this.#fetches.includes(name) ? outputData(this.#loaded, results, name).data : undefined;
    const concepts = scores(CONCEPT_SCORES);
    const special = scores(SPECIAL_SCORES);
    return Array.from({ length: n }, (_, i) => ({
      flagged: Number(flags[i]) !== 0,
      concepts: positives(concepts, i, n),
      specialCare: positives(special, i, n).length > 0,
    }));
  }
}

/** Indices of row `row`'s positive scores in a [n, k] score matrix; none without the matrix. */
function positives(scores: Float32Array | undefined, row: number, rows: number): number[] {
  if (scores === undefined) return [];
  const k = scores.length / rows;
  const fired: number[] = [];
  for (let c = 0; c < k; c++) if ((scores[row * k + c] as number) > 0) fired.push(c);
  return fired;
}
