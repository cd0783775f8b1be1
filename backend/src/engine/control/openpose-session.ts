import { ModelLoadError } from "../errors.ts";
import {
  fixedDim,
  floatTensor,
  type LoadedSession,
  outputData,
  type TensorMetadata,
} from "../models/onnx-session.ts";
import type { RgbImage } from "../types.ts";
import { cropPlanes, type Planes, resizePlanesCubic } from "./float-planes.ts";
import { decodeBodies } from "./openpose-decode.ts";
import { drawBodies } from "./openpose-draw.ts";

/** Part-affinity fields (`Mconv7_stage6_L1`) and heatmaps (`Mconv7_stage6_L2`) of the body model. */
const PAF_CHANNELS = 38;
const HEATMAP_CHANNELS = 19;
/** body.py's single scale (`scale_search = [0.5]`) of its 368-pixel box, its stride and pad value. */
const SCALE = 0.5;
const BOX_SIZE = 368;
const STRIDE = 8;
const PAD_VALUE = 128;

export interface OpenPoseOutputs {
  pafs: string;
  heatmaps: string;
}

/** The two outputs of an OpenPose body model (lllyasviel's `body_pose_model.pth` exported), matched by channel count. */
export function openPoseOutputs(loaded: LoadedSession): OpenPoseOutputs | undefined {
  const outputs = loaded.session.outputMetadata.filter(
    (meta): meta is TensorMetadata & { isTensor: true } => meta.isTensor,
  );
  if (outputs.length !== 2) return undefined;
  const named = (channels: number) => outputs.find((meta) => fixedDim(meta, 1) === channels)?.name;
  const pafs = named(PAF_CHANNELS);
  const heatmaps = named(HEATMAP_CHANNELS);
  return pafs === undefined || heatmaps === undefined ? undefined : { pafs, heatmaps };
}

/**
 * The drawn pose map of `image`, as sd-webui-controlnet's openpose preprocessor makes it
 * (`annotator/openpose/body.py` `Body.__call__`, then `util.py` `draw_bodypose`): the image scaled so
 * its height is 0.5 × 368, padded right and down to a multiple of 8 with 128, fed as BGR `/256 - 0.5`;
 * the outputs upsampled ×8, cropped to the scaled image and resized to the image's size; decoded and
 * drawn on black at the image's size. The reference resizes with INTER_AREA / Lanczos (smart_resize);
 * here all resizes are bicubic, which moves fields by fractions of a pixel.
 */
export async function openPoseMap(
  loaded: LoadedSession,
  input: TensorMetadata,
  outputs: OpenPoseOutputs,
  image: RgbImage,
): Promise<RgbImage> {
  const scale = (SCALE * BOX_SIZE) / image.height;
  const scaled = resizePlanesCubic(
    bgrPlanes(image),
    Math.max(1, Math.trunc(image.width * scale)),
    Math.max(1, Math.trunc(image.height * scale)),
  );
  const padded = padPlanes(scaled);
  const feeds = { [input.name]: floatTensor(input, padded.data, [1, 3, padded.height, padded.width]) };
  const results = await loaded.session.run(feeds, [outputs.pafs, outputs.heatmaps]);
  const field = (name: string, channels: number): Planes => {
    const { data, dims } = outputData(loaded, results, name);
    const [height, width] = dims.slice(-2) as [number, number];
    if (data.length !== channels * height * width)
      throw new ModelLoadError(
        `${loaded.file}: ${name}`,
        `gives ${dims.join("×")}; expected [1, ${channels}, H/8, W/8]`,
      );
    const upsampled = resizePlanesCubic({ data, channels, width, height }, width * STRIDE, height * STRIDE);
    const cropped = cropPlanes(upsampled, scaled.width, scaled.height);
    return resizePlanesCubic(cropped, image.width, image.height);
  };
  const bodies = decodeBodies(field(outputs.heatmaps, HEATMAP_CHANNELS), field(outputs.pafs, PAF_CHANNELS));
  return drawBodies(bodies, image.width, image.height);
}

/** The image as 0–255 planes in OpenCV's BGR order (body.py is given the image reversed to BGR). */
function bgrPlanes(image: RgbImage): Planes {
  const plane = image.width * image.height;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++)
    for (let c = 0; c < 3; c++) data[c * plane + i] = image.rgb[i * 3 + (2 - c)] as number;
  return { data, channels: 3, width: image.width, height: image.height };
}

/** body.py's `padRightDownCorner` with 128, then its `/ 256 - 0.5`. */
function padPlanes(src: Planes): Planes {
  const width = Math.ceil(src.width / STRIDE) * STRIDE;
  const height = Math.ceil(src.height / STRIDE) * STRIDE;
  const data = new Float32Array(3 * width * height).fill(PAD_VALUE / 256 - 0.5);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < src.height; y++)
      for (let x = 0; x < src.width; x++)
        data[(c * height + y) * width + x] =
          (src.data[(c * src.height + y) * src.width + x] as number) / 256 - 0.5;
  return { data, channels: 3, width, height };
}
