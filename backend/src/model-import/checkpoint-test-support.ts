/**
 * Test support for the checkpoint readers: a built model's weights turned back into the checkpoint a
 * torch user would have saved, so rebuilding from it can be compared with the original build.
 */
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import onnx from "onnx-proto";
import type { FullSizeNetwork } from "../model-builder/sd15-full-size.ts";
import { clipTextModelNames, transpose } from "./checkpoint-weights.ts";
import { encodeSafetensors, type SafetensorsTensor } from "./safetensors.ts";
import { originalUNetName, originalVaeName } from "./single-file-checkpoint.ts";

/**
 * The weights of a standard-graph ONNX folder as torch's state dict has them: MatMul's [in, out] back
 * to nn.Linear's [out, in], GroupNorm's [C, 1, 1] back to [C], the rest as they are.
 */
export function torchTensors(
  folder: string,
  network: FullSizeNetwork | "text_encoder_2",
): SafetensorsTensor[] {
  const model = onnx.onnx.ModelProto.decode(readFileSync(join(folder, network, "model.onnx")));
  // positioned reads: a full-size UNet's weights file is past readFileSync's 2 GiB
  const fd = openSync(join(folder, network, "model.onnx_data"), "r");
  const read = (offset: number, length: number) => {
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, offset);
    return buffer;
  };
  const tensors: SafetensorsTensor[] = [];
  try {
    for (const init of model.graph?.initializer ?? []) {
      const name = init.name ?? "";
      if (!/\.(weight|bias)$/.test(name)) continue;
      const dims = (init.dims ?? []).map(Number);
      const external = new Map((init.externalData ?? []).map((e) => [e.key, Number(e.value)]));
      const bytes =
        init.rawData && init.rawData.length > 0
          ? init.rawData
          : read(external.get("offset") ?? 0, external.get("length") ?? 0);
      let values: Float32Array = new Float32Array(Uint8Array.from(bytes).buffer);
      let shape = dims;
      const embedding = name.includes("embedding.weight") && !name.startsWith("time_embedding");
      if (dims.length === 2 && name.endsWith(".weight") && !embedding) {
        values = transpose(values, dims[0] as number, dims[1] as number);
        shape = [dims[1] as number, dims[0] as number];
      } else if (dims.length === 3 && dims[1] === 1 && dims[2] === 1) {
        shape = [dims[0] as number];
      }
      const checkpointName = network.startsWith("text_encoder")
        ? (clipTextModelNames(name)[0] as string)
        : name;
      tensors.push({ name: checkpointName, dtype: "F32", shape, values });
    }
  } finally {
    closeSync(fd);
  }
  return tensors;
}

/** A build's weights under their diffusers names, per component (see {@link torchTensors}). */
export interface DiffusersTensors {
  textEncoder: readonly SafetensorsTensor[];
  unet: readonly SafetensorsTensor[];
  vae: readonly SafetensorsTensor[];
}

/** {@link torchTensors} of a full-size build folder, grouped as a diffusers checkpoint's components. */
export function diffusersTensors(folder: string): DiffusersTensors {
  return {
    textEncoder: torchTensors(folder, "text_encoder"),
    unet: torchTensors(folder, "unet"),
    vae: [...torchTensors(folder, "vae_encoder"), ...torchTensors(folder, "vae_decoder")],
  };
}

/**
 * One single-file checkpoint of a build: every tensor under its original (ldm) name, the VAE's
 * attention projections as the 1×1 convolutions the original code has, then `extras`; `drop` leaves
 * one tensor out, `olderClip` writes CLIP without transformers' `text_model.` level.
 */
export function writeSingleFileCheckpoint(
  path: string,
  tensors: DiffusersTensors,
  options: { olderClip?: boolean; drop?: string; extras?: readonly SafetensorsTensor[] } = {},
): void {
  const all = [
    ...tensors.textEncoder.map((t) => ({
      ...t,
      name: `cond_stage_model.transformer.${options.olderClip === true ? t.name.replace(/^text_model\./, "") : t.name}`,
    })),
    ...tensors.unet.map((t) => ({ ...t, name: `model.diffusion_model.${originalUNetName(t.name)}` })),
    ...tensors.vae.map((t) => {
      const conv = /attentions\.0\.(to_[qkv]|to_out\.0)\.weight$/.test(t.name);
      return {
        ...t,
        name: `first_stage_model.${originalVaeName(t.name)}`,
        shape: conv ? [...t.shape, 1, 1] : t.shape,
      };
    }),
    ...(options.extras ?? []),
  ].filter((t) => t.name !== options.drop);
  writeFileSync(path, encodeSafetensors(all, { format: "pt" }));
}
