import type { ControlMode } from "@sdgate/shared";
import type { RgbImage } from "../types.ts";
import type { ControlNetSession } from "./controlnet-session.ts";

/**
 * What the image's recipe and A1111 infotext say about a unit beyond what the engine uses: how its
 * map was made. The engine writes it, it does not read it.
 */
export interface ControlUnitRecord {
  /** A1111's "Module": the preprocessor (`none`, `canny`, `depth`, `openpose`). */
  module: string;
  /** The ControlNet model's registered name and its files' digest. */
  model: string;
  digest: string;
  resizeMode: "just_resize" | "crop_and_resize" | "resize_and_fill";
  /** Canny's low and high thresholds. */
  thresholds?: { low: number; high: number };
  /** SHA-256 of the control image as the request sent it (its bytes stay out of the recipe). */
  imageSha256: string;
}

/** One ControlNet unit as the engine runs it. */
export interface ControlNetUnit {
  controlNet: ControlNetSession;
  /** The control map at the request's width × height (preprocessed and resized already). */
  map: RgbImage;
  weight: number;
  /** Shares of the steps, as A1111's "Starting/Ending Control Step". */
  guidanceStart: number;
  guidanceEnd: number;
  controlMode: ControlMode;
  record: ControlUnitRecord;
}
