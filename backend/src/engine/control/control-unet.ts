import { access } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArgumentError } from "../errors.ts";
import type { LoadedSession } from "../models/onnx-session.ts";
import { UNetSession } from "../models/unet.ts";

/** onnx-web's place for a model's UNet that takes ControlNet residuals. */
export const CONTROL_UNET_FILE = "cnet/model.onnx";

/**
 * The model's ControlNet UNet, loaded on the first request that needs it and kept (a UNet session is
 * expensive); a folder without one refuses ControlNet requests by naming the file it lacks.
 */
export function lazyControlUnet(
  modelDir: string,
  load: (file: string) => Promise<LoadedSession>,
): () => Promise<UNetSession> {
  let loading: Promise<UNetSession> | undefined;
  return () => {
    loading ??= (async () => {
      try {
        await access(join(modelDir, CONTROL_UNET_FILE));
      } catch {
        // the folder stays out of the message: clients see it
        throw new InvalidArgumentError(
          "controlnet",
          "a ControlNet unit",
          `needs a model with a UNet that takes ControlNet residuals (${CONTROL_UNET_FILE}, as onnx-web exports it), and this model has none`,
        );
      }
      const unet = new UNetSession(await load(CONTROL_UNET_FILE));
      if (unet.residualCount === 0)
        throw new InvalidArgumentError(
          "controlnet",
          "a ControlNet unit",
          `needs this model's ${CONTROL_UNET_FILE} to take down_block_N and mid_block_additional_residual inputs; it takes none`,
        );
      return unet;
    })();
    // a failed load is retried by the next request rather than remembered
    loading.catch(() => {
      loading = undefined;
    });
    return loading;
  };
}
