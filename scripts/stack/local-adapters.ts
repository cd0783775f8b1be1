import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ensureTinyControlNet,
  ensureTinyLora,
  ensureTinyModel,
} from "../../backend/src/model-builder/index.ts";
import { folderDigest } from "../../backend/src/model-digest.ts";
import type { LocalAdapter, LocalModel } from "./seed-registry.ts";

/**
 * What the local stack serves for issue 18 beside `tiny`: `tiny-control`, the tiny model with SD 1.5's
 * block layout, a ControlNet UNet (`cnet/`) and LoRA inputs, with a tiny LoRA and a tiny canny
 * ControlNet made for it. (`tiny` itself stays the model with the safety checker.)
 */
export const LOCAL_ADAPTER_NAMES = {
  model: "tiny-control",
  lora: "tiny-ink",
  controlnet: "tiny-canny",
} as const;

/** Where the backends find them, under their `SDGATE_MODEL_DIR`: the backend's default folders. */
export const localAdapterDirs = (modelRoot: string) => ({
  loraDir: join(modelRoot, "loras"),
  controlNetDir: join(modelRoot, "controlnet"),
});

/**
 * Builds (or reuses, while current: all three are deterministic) the model, the LoRA file and the
 * ControlNet folder, and says what the registry should hold for them, at the digests the backends
 * will report (a LoRA's file SHA-256, a ControlNet's folder digest).
 */
export async function ensureLocalAdapters(
  modelRoot: string,
): Promise<{ model: LocalModel; adapters: LocalAdapter[] }> {
  const names = LOCAL_ADAPTER_NAMES;
  const modelDir = await ensureTinyModel(modelRoot, { controlnet: true, loraInputs: true });
  const loraPath = await ensureTinyLora(localAdapterDirs(modelRoot).loraDir, names.lora);
  // ensureTinyControlNet writes <modelRoot>/controlnet/<name>, the backend's default ControlNet folder
  const controlNetDir = await ensureTinyControlNet(modelRoot, names.controlnet);
  const appliesTo = [names.model];
  return {
    model: {
      id: names.model,
      path: modelDir,
      digest: await folderDigest(modelDir),
      description: "the tiny model with a ControlNet UNet and LoRA inputs (npm start's LoRA and ControlNet)",
    },
    adapters: [
      {
        kind: "lora",
        name: names.lora,
        digest: createHash("sha256")
          .update(await readFile(loraPath))
          .digest("hex"),
        appliesTo,
        description: "a random tiny LoRA (kohya format) for tiny-control, built by npm start",
      },
      {
        kind: "controlnet",
        name: names.controlnet,
        digest: await folderDigest(controlNetDir),
        appliesTo,
        description:
          "a random tiny ControlNet for tiny-control (use the canny preprocessor), built by npm start",
      },
    ],
  };
}
