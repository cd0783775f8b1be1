import { ModelLoadError } from "../errors.ts";
import { findOutputName, floatTensor, type LoadedSession, outputData } from "../models/onnx-session.ts";
import type { RgbImage } from "../types.ts";
import { type OpenPoseOutputs, openPoseMap, openPoseOutputs } from "./openpose-session.ts";
import { condTensor } from "./step-control.ts";

/**
 * An annotator model (a depth estimator, a pose renderer) exported to ONNX with one image input,
 * `[1, 3, H, W]` RGB in [0, 1], and one map output, `[1, H', W']` or `[1, C, H', W']` with C 1 or 3.
 * A one-channel map (depth: MiDaS/DPT inverse depth, nearer is larger) is stretched to 0–255, as the
 * extension's depth preprocessors do; a three-channel map is taken as RGB in [0, 1] (a pose export
 * that draws its skeleton). An OpenPose body model (two outputs, 38 part-affinity fields and 19
 * heatmaps, as lllyasviel's `body_pose_model.pth` exported) is run, decoded and drawn as the
 * extension does (openpose-session.ts). Other channel counts are refused by name.
 */
export class AnnotatorSession {
  readonly #loaded: LoadedSession;
  readonly #input: string;
  readonly #output: string;
  readonly #openPose: OpenPoseOutputs | undefined;

  constructor(loaded: LoadedSession) {
    this.#loaded = loaded;
    const input = loaded.session.inputMetadata.find((meta) => meta.isTensor);
    if (input === undefined || loaded.session.inputNames.length !== 1)
      throw new ModelLoadError(loaded.file, "an annotator takes one image input");
    this.#input = input.name;
    this.#openPose = openPoseOutputs(loaded);
    this.#output = findOutputName(loaded, []);
  }

  /** The map for `image`, at the size the model gives it (the caller resizes). */
  async map(image: RgbImage): Promise<RgbImage> {
    const meta = this.#loaded.session.inputMetadata.find((m) => m.name === this.#input);
    if (meta === undefined || !meta.isTensor) throw new ModelLoadError(this.#loaded.file, "input missing");
    if (this.#openPose !== undefined) return openPoseMap(this.#loaded, meta, this.#openPose, image);
    const feeds = { [this.#input]: floatTensor(meta, condTensor(image), [1, 3, image.height, image.width]) };
    const results = await this.#loaded.session.run(feeds, [this.#output]);
    const { data, dims } = outputData(this.#loaded, results, this.#output);
    const [height, width] = dims.slice(-2) as [number, number];
    const channels = data.length / (height * width);
    if (channels === 1) return grayMap(data, width, height);
    if (channels === 3) return rgbMap(data, width, height);
    throw new ModelLoadError(
      `${this.#loaded.file}: ${this.#output}`,
      `gives ${channels} channels; an annotator must give a 1-channel map (depth), a 3-channel drawing (pose) or an OpenPose body model's two outputs (38 PAFs and 19 heatmaps), not raw heatmaps`,
    );
  }

  async release(): Promise<void> {
    await this.#loaded.session.release();
  }
}

function grayMap(data: Float32Array, width: number, height: number): RgbImage {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const range = max - min || 1;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++)
    rgb.fill(Math.round((((data[i] as number) - min) / range) * 255), i * 3, i * 3 + 3);
  return { rgb, width, height };
}

function rgbMap(data: Float32Array, width: number, height: number): RgbImage {
  const plane = width * height;
  let max = 0;
  for (const v of data) max = Math.max(max, v);
  // a drawing in [0, 1] or already in [0, 255]
  const scale = max > 1.5 ? 1 : 255;
  const rgb = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++)
    for (let c = 0; c < 3; c++)
      rgb[i * 3 + c] = Math.max(0, Math.min(255, Math.round((data[c * plane + i] as number) * scale)));
  return { rgb, width, height };
}
