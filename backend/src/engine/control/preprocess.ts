import type { ControlNetPreprocessor } from "@sdgate/shared";
import type { RgbImage } from "../types.ts";
import type { AnnotatorSession } from "./annotator-session.ts";
import { canny } from "./canny.ts";
import { resizeMap } from "./resize-map.ts";

/** Preprocessors that run an ONNX annotator model. */
export const MODEL_PREPROCESSORS = ["depth", "openpose"] as const;
export type ModelPreprocessor = (typeof MODEL_PREPROCESSORS)[number];
/** An annotator's file under its preprocessor's folder: `<annotator dir>/depth/model.onnx`. */
export const ANNOTATOR_FILE = "model.onnx";

export interface PreprocessOptions {
  preprocessor: ControlNetPreprocessor;
  thresholds?: { low: number; high: number };
  /** The annotator for `depth` or `openpose`, loaded by the caller. */
  annotator?: AnnotatorSession;
}

/**
 * The control map of an image already resized for its unit: the image itself (`none`), its canny
 * edges, or the annotator's map brought back to the image's size.
 */
export async function preprocess(image: RgbImage, options: PreprocessOptions): Promise<RgbImage> {
  switch (options.preprocessor) {
    case "none":
      return image;
    case "canny":
      return canny(image, options.thresholds?.low ?? 100, options.thresholds?.high ?? 200);
    case "depth":
    case "openpose": {
      if (options.annotator === undefined) throw new Error(`no annotator loaded for ${options.preprocessor}`);
      return resizeMap(await options.annotator.map(image), image.width, image.height);
    }
  }
}
