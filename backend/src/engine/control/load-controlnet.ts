import { createSession } from "../models/onnx-session.ts";
import type { EngineLogger } from "../types.ts";
import { ControlNetSession } from "./controlnet-session.ts";

/** The file of a ControlNet folder (`<controlnet dir>/<name>/model.onnx`, as onnx-web keeps them). */
export const CONTROLNET_FILE = "model.onnx";

/** A ControlNet folder's session, on the first execution provider in `providers` that works. */
export async function loadControlNet(
  dir: string,
  providers: readonly string[],
  logger: EngineLogger,
): Promise<ControlNetSession> {
  const loaded = await createSession(dir, CONTROLNET_FILE, providers, logger);
  try {
    return new ControlNetSession(loaded);
  } catch (error) {
    await loaded.session.release();
    throw error;
  }
}
